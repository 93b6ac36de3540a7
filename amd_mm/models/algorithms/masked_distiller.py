"""The masked-distillation SelfSupervisor: AMD, DMAE, dBOT and plain MAE are
configurations of this one class."""
import copy
from typing import Dict, List, Optional

import torch
from mmengine.logging import MMLogger
from mmpretrain.models.selfsup.base import BaseSelfSupervisor
from mmpretrain.structures import DataSample

from ...registry import MODELS
from ..backbones.masked_encoder import TokenGeometry
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
            blocks = backbone.get('feature_blocks', ())  # checked by the backbone
            neck['num_layer_pairs'] = len(blocks) if isinstance(blocks, (list, tuple)) else 0
        super().__init__(backbone=backbone, neck=neck, head=head,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.teacher = MODELS.build(copy.deepcopy(teacher)) if teacher else None
        self._check_wiring()
        self._check_preprocessor()

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
        self._check_geometry()
        if self.teacher is not None:
            needed = max(pairs, len(self.neck.generators))
            got = len(self.teacher.feature_blocks)
            if got != needed:
                raise ValueError(
                    f'teacher.feature_blocks={list(self.teacher.feature_blocks)}'
                    f' has {got} entries; the neck pairs {needed} student '
                    f'outputs with teacher blocks')

        if (self.teacher is not None and self.teacher.checkpoint is None
                and not self.random_teacher_ok):
            MMLogger.get_current_instance().warning(
                'teacher has no checkpoint (model.teacher.checkpoint=None): distilling '
                'from a randomly initialised teacher')

    def _check_preprocessor(self):
        """The data preprocessor's mean/std against the student's input
        channels (broadcasting would otherwise turn 1-channel images into 3
        channels, reported at the first batch as a wrong input size)."""
        for name in ('mean', 'std'):
            value = getattr(self.data_preprocessor, name, None)
            channels = self.geometry.in_channels
            if isinstance(value, torch.Tensor) and value.numel() not in (1, channels):
                raise ValueError(
                    f'data_preprocessor.{name} has {value.numel()} values but the student '
                    f'backbone takes {channels} input channel(s) (backbone in_channels): '
                    f'give {channels} value(s)')

    #: whether a teacher without checkpoint is expected (dBOT bootstraps it);
    #: otherwise it is legitimate but logged with a warning at build time
    random_teacher_ok: bool = False

    @property
    def geometry(self) -> TokenGeometry:
        """The token layout, defined once by the student backbone."""
        return self.backbone.geometry

    def _check_geometry(self):
        """The neck, head and teacher against the student's token geometry
        (every mismatch names both fields and both values)."""
        geo = self.geometry
        where = f'the student backbone\'s {geo.describe()}'
        neck, head = self.neck, self.head
        if neck.grid != geo.grid:
            raise ValueError(f'neck.grid={neck.grid} does not match {where}: set '
                             f'neck.grid={geo.grid}')
        if neck.num_prefix != geo.num_prefix:
            raise ValueError(f'neck.num_prefix={neck.num_prefix} but the student backbone has '
                             f'{geo.num_prefix} prefix (CLS) token(s)')
        if neck.student_dims != self.backbone.embed_dims:
            raise ValueError(f'neck.student_dims={neck.student_dims} but the student backbone '
                             f'is {self.backbone.embed_dims} wide (backbone embed_dims)')
        if self.teacher is not None and neck.teacher_dims is not None and (
                neck.num_layer_pairs or len(neck.generators)) and (
                neck.teacher_dims != self.teacher.embed_dims):
            raise ValueError(f'neck.teacher_dims={neck.teacher_dims} but the teacher backbone '
                             f'is {self.teacher.embed_dims} wide (teacher.backbone embed_dims)')
        if neck.decoder is not None and head.pixel_loss is not None:
            pred = neck.decoder.decoder_pred
            out = getattr(pred, 'out_features', None)
            if out is not None and out != geo.values_per_token:
                raise ValueError(
                    f'neck.decoder.out_dims={out} but a token of the student backbone '
                    f'holds {geo.values_per_token} pixel values (tubelet {geo.tubelet_size}'
                    f' x patch {geo.patch_size}x{geo.patch_size} x {geo.in_channels} '
                    f'channel(s))')
        if head.patch_size != geo.patch_size:
            raise ValueError(f'head.patch_size={head.patch_size} but backbone.patch_size='
                             f'{geo.patch_size} (the student backbone\'s patches)')
        if head.tubelet_size != geo.tubelet_size:
            raise ValueError(f'head.tubelet_size={head.tubelet_size} but the student backbone\'s '
                             f'tubelet_size={geo.tubelet_size}')
        if self.teacher is not None:
            tgeo = self.teacher.backbone.geometry
            if (tgeo.grid, tgeo.patch_size, tgeo.tubelet_size) != (
                    geo.grid, geo.patch_size, geo.tubelet_size):
                raise ValueError(
                    f'the teacher backbone\'s {tgeo.describe("teacher.backbone")} differs '
                    f'from {where}: both must tokenise the input the same way')

    def check_inputs(self, inputs: torch.Tensor) -> None:
        """A batch as the data preprocessor gives it: floating point, in the
        model's dtype, of the size the student backbone was built for."""
        dtype = self.backbone.patch_embed.projection.weight.dtype
        if not inputs.is_floating_point():
            raise TypeError(
                f'inputs of dtype {inputs.dtype}: the model expects {dtype} inputs '
                'normalised by its data_preprocessor (call model.data_preprocessor(batch) '
                'or model.train_step(batch, ...), not model(raw_images))')
        if inputs.dtype != dtype:
            raise TypeError(f'inputs of dtype {inputs.dtype} but the model\'s weights are '
                            f'{dtype}: convert with inputs.to({dtype})')
        geo = self.geometry
        expected = geo.input_size if len(geo.grid) == 3 else geo.input_size[-2:]
        got = tuple(inputs.shape[2:]) if len(geo.grid) == 3 else tuple(inputs.shape[-2:])
        rank = 5 if len(geo.grid) == 3 else 4
        if inputs.ndim not in (rank, rank + 1) or got != tuple(expected) or (
                inputs.shape[-len(expected) - 1] != geo.in_channels):
            raise ValueError(
                f'inputs of shape {tuple(inputs.shape)} but the student backbone expects '
                f'{geo.in_channels} channel(s) of {tuple(expected)} '
                f'(backbone.img_size / num_frames; {geo.describe()}): make the pipeline\'s '
                'crop/resize produce that size, or set backbone.img_size')

    def check_batch(self, tokens: TokenSplit, data_samples: List[DataSample]) -> None:
        """The batch's masks against the student's token grid and the parts
        that read them."""
        geo = self.geometry
        if tokens.num_tokens != geo.num_tokens:
            raise ValueError(
                f'the packed masks cover {tokens.num_tokens} tokens per sample but the '
                f'student backbone\'s {geo.describe()}: set '
                f'train_dataloader.dataset.masking.input_size={geo.grid}')
        if len(self.neck.generators):
            if not all('diff_mask' in s for s in data_samples):
                raise ValueError(
                    "the model has generators (neck.generator) but the batch has no "
                    "'diff_mask': add it to PackInputs, "
                    "dict(type='PackInputs', algorithm_keys=['diff_mask'])")
            if tokens.num_diff == 0:
                raise ValueError(
                    'the model has generators (neck.generator) but the masks have no diff '
                    'tokens (masking.teacher_mask_ratio == student_mask_ratio): set '
                    'neck.generator=None and head.gen_loss=None for symmetric masking, '
                    'or a lower masking.teacher_mask_ratio')

    def extract_feat(self, inputs: torch.Tensor):
        """The student's features of the whole, unmasked input."""
        self.check_inputs(inputs)
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
        flattened (in the data preprocessor's normalised space); None for a
        model without a pixel decoder (e.g. dBOT), whose masks can still be drawn."""
        inputs, tokens = self.split_views(inputs, data_samples)
        if self.neck.decoder is None:
            return None, tokens
        student = self.backbone(inputs, tokens.student_visible)
        pred = self.neck.decoder(student.latent, tokens.student_visible, tokens.student_masked)
        return self.head.predicted_pixels(pred, inputs, tokens, self.input_norm), tokens

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """L = L_pix + mean_l L_dir + mean_l L_gen, one logged entry per term
        (MMEngine sums the entries)."""
        inputs, tokens = self.split_views(inputs, data_samples)
        self.check_inputs(inputs)
        self.check_batch(tokens, data_samples)
        student = self.backbone(inputs, tokens.student_visible)
        teacher = self.teacher(inputs, tokens) if self.teacher is not None else None
        pred = self.neck(student, tokens)
        losses = self.head.loss(pred, teacher, inputs, tokens, self.input_norm)
        return {self.term_names.get(name, name): value for name, value in losses.items()}
