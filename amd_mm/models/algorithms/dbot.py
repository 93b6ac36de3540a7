"""dBOT: masked knowledge distillation with bootstrapped teachers."""
from ...registry import MODELS
from .masked_distiller import MaskedDistiller


@MODELS.register_module(name='dBOT')
class dBOT(MaskedDistiller):  # noqa: N801 (the paper's name)
    """Implementation of `Exploring Target Representations for Masked
    Autoencoders <https://arxiv.org/abs/2209.03917>`_ (dBOT; official code
    liuxingbin/dbot ``models_mae.py``, ``main_pretrain.py``).

    :class:`MaskedDistiller` whose teacher sees the full view and whose
    latent-fed decoder predicts the teacher's standardised last block at every
    masked token and CLS (SmoothL1, beta 2), logged as ``loss_feature`` (the
    head's generation term); no pixel loss. The teacher is bootstrapped from
    the student by :class:`~amd_mm.engine.hooks.TeacherBootstrapHook`.
    """
    term_names = dict(loss_gen='loss_feature')
    random_teacher_ok = True  # stage 0's teacher is the student's initialisation
