"""The masked-distillation SelfSupervisor: AMD, DMAE, dBOT and plain MAE are
configurations of this one class."""
import copy
from typing import Dict, List, Optional

import torch
from mmpretrain.models.selfsup.base import BaseSelfSupervisor
from mmpretrain.structures import DataSample

from ...registry import MODELS
from ..heads.distill_head import InputNorm
from ..utils import TokenSplit


@MODELS.register_module(name=['MaskedDistiller', 'AMD'])
class MaskedDistiller(BaseSelfSupervisor):
    """Implementation of `Asymmetric Masked Distillation for Pre-Training
    Small Foundation Models <https://arxiv.org/abs/2311.03149>`_ (AMD), which
    with other settings of the same parts is also `DMAE
    <https://arxiv.org/abs/2208.12256>`_, `dBOT
    <https://arxiv.org/abs/2209.03917>`_ and MAE.

    The student (``backbone``) encodes its visible tokens; the frozen
    ``teacher`` encodes those plus the diff tokens; the ``neck`` projects and
    generates; the ``head`` compares. Masks come from the data pipeline
    (:class:`~amd_mm.datasets.transforms.AsymmetricMasking`). The paper's
    loss, per batch:

        L = L_pix + mean_l L_dir + mean_l L_gen

    logged as ``loss_pixel``, ``loss_direct`` and ``loss_gen``
    (:class:`~amd_mm.models.heads.MaskedDistillHead`). :class:`DMAE` and
    :class:`dBOT` are the same class under their papers' names and terms.

    Args:
        backbone (dict): the student, e.g. ``MaskedViT``.
        neck (dict): ``DistillNeck``; its ``num_layer_pairs`` defaults to
            the number of ``backbone.feature_blocks``.
        head (dict): ``MaskedDistillHead``.
        teacher (dict, optional): ``FrozenTeacher``; None for plain MAE.
        data_preprocessor (dict, optional): defaults to
            ``SelfSupDataPreprocessor``.
    """

    #: log name of each term of the head's loss, by the head's name
    #: (``loss_pixel``, ``loss_direct``, ``loss_gen``); subclasses rename
    #: their paper's terms
    term_names: Dict[str, str] = {}

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 teacher: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        neck = dict(neck)
        if neck.get('num_layer_pairs') is None and neck.get('num_layers') is None:
            neck['num_layer_pairs'] = len(backbone.get('feature_blocks', ()))
        super().__init__(backbone=backbone, neck=neck, head=head,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.teacher = MODELS.build(copy.deepcopy(teacher)) if teacher else None
        self._check_wiring()

    def _check_wiring(self):
        """Fail at build time, naming the fields, when the parts disagree."""
        student_blocks = self.backbone.feature_blocks
        pairs = self.neck.num_layer_pairs
        if len(student_blocks) != pairs:
            raise ValueError(
                f'backbone.feature_blocks={list(student_blocks)} has '
                f'{len(student_blocks)} entries but neck.num_layer_pairs={pairs}')
        if (pairs or len(self.neck.generators)) and self.teacher is None:
            raise ValueError('the neck aligns features (backbone.feature_blocks / '
                             'neck.generator) but the model has no `teacher`')
        if self.teacher is not None:
            needed = max(pairs, len(self.neck.generators))
            got = len(self.teacher.feature_blocks)
            if got != needed:
                raise ValueError(
                    f'teacher.feature_blocks={list(self.teacher.feature_blocks)}'
                    f' has {got} entries; the neck pairs {needed} student '
                    f'outputs with teacher blocks')

    def extract_feat(self, inputs: torch.Tensor):
        """The student's features of the whole, unmasked input."""
        return self.backbone(inputs)

    @staticmethod
    def split_views(inputs: torch.Tensor, data_samples: List[DataSample]):
        """``(inputs, TokenSplit)`` with video views flattened: a
        ``(B, V, C, T, H, W)`` batch (V clips per sample, e.g. from
        :class:`RepeatedViews`) becomes ``B * V`` clips with one mask each."""
        views = 1
        if inputs.ndim == 6:
            views = inputs.shape[1]
            inputs = inputs.flatten(0, 1)
        tokens = TokenSplit.from_data_samples(data_samples, views).to(inputs.device)
        return inputs, tokens

    @property
    def input_norm(self) -> Optional[InputNorm]:
        """How the data preprocessor normalised the inputs."""
        return InputNorm.of(self.data_preprocessor)

    @torch.no_grad()
    def reconstruct(self, inputs: torch.Tensor, data_samples: List[DataSample]):
        """Pixel reconstruction for visualisation: ``(reconstruction,
        token split)``, the reconstruction shaped like ``inputs`` with views
        flattened (in the data preprocessor's normalised space)."""
        if self.neck.decoder is None:
            raise ValueError('this model has no pixel decoder (neck.decoder=None)')
        inputs, tokens = self.split_views(inputs, data_samples)
        student = self.backbone(inputs, tokens.student_visible)
        pred = self.neck.decoder(student.latent, tokens.student_visible, tokens.student_masked)
        return self.head.predicted_pixels(pred, inputs, tokens, self.input_norm), tokens

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """L = L_pix + mean_l L_dir + mean_l L_gen, one logged entry per term
        (MMEngine sums the entries)."""
        inputs, tokens = self.split_views(inputs, data_samples)
        student = self.backbone(inputs, tokens.student_visible)
        teacher = self.teacher(inputs, tokens) if self.teacher is not None else None
        pred = self.neck(student, tokens)
        losses = self.head.loss(pred, teacher, inputs, tokens, self.input_norm)
        return {self.term_names.get(name, name): value for name, value in losses.items()}
