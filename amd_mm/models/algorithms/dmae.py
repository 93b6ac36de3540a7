"""DMAE: masked autoencoders as efficient knowledge distillers."""
from ...registry import MODELS
from .masked_distiller import MaskedDistiller


@MODELS.register_module(name='DMAE')
class DMAE(MaskedDistiller):
    """Implementation of `Masked Autoencoders Enable Efficient Knowledge
    Distillers <https://arxiv.org/abs/2208.12256>`_ (DMAE; official code
    UCSC-VLAA/DMAE ``models_mae_distill.py``, ``engine_distill.py``).

    :class:`MaskedDistiller` with symmetric masks (the teacher sees exactly
    the student's tokens), one aligned block, a biased projection and L1
    between unit vectors: L = L_pix + L_distill, logged as ``loss_pixel`` and
    ``loss_distill`` (the head's direct term). The teacher stops after the
    aligned block; the official release also runs its remaining blocks and
    decoder, whose output is unused.
    """
    term_names = dict(loss_direct='loss_distill')

    def check_batch(self, tokens, data_samples) -> None:
        super().check_batch(tokens, data_samples)
        if tokens.num_diff:
            raise ValueError(
                f'DMAE uses symmetric masks but the batch has {tokens.num_diff} diff tokens '
                'per sample: set train_dataloader.dataset.masking.teacher_mask_ratio '
                'equal to student_mask_ratio')
