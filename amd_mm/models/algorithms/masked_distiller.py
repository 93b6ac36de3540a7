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
from .geometry import derive_from_student


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
        neck (dict): ``DistillNeck``. What the student and teacher define
            is filled in when left out (and checked when stated): its
            ``num_layer_pairs`` (the number of ``backbone.feature_blocks``),
            ``student_dims``, ``teacher_dims``, ``grid``, ``num_prefix``, the
            pixel decoder's ``out_dims`` and a latent-fed generator's
            ``out_dims`` (see :func:`derive_from_student`).
        head (dict): ``MaskedDistillHead``; ``patch_size`` and
            ``tubelet_size`` are the student's.
        teacher (dict, optional): a teacher (:class:`BaseTeacher`:
            ``FrozenTeacher``, ``TimmTeacher``, ``HFTeacher``); None for plain
            MAE.
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
        # the student defines the token geometry: built first, so that the
        # neck and head configs need not state it again (derive_from_student)
        backbone = MODELS.build(copy.deepcopy(backbone)) if isinstance(backbone, dict) else backbone
        if isinstance(teacher, dict):
            teacher = MODELS.build(copy.deepcopy(teacher)) if teacher else None
        neck, head = derive_from_student(neck, head, backbone, teacher)
        super().__init__(backbone=backbone, neck=neck, head=head,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.teacher = teacher
        if self.teacher is not None:  # its input transform: from the student's batch
            self.teacher.adapt_to(self.geometry, self.input_norm)
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
        """What the derivation cannot settle: the teacher's prefix tokens
        against the student's where the loss compares them."""
        if self.teacher is None:
            return
        geo, neck, head = self.geometry, self.neck, self.head
        teacher_cls = self.teacher.num_cls_tokens
        aligns_prefix = head.align_prefix and neck.num_layer_pairs and head.direct_loss
        predicts_prefix = any(g.predict_prefix for g in neck.generators)
        if teacher_cls != geo.num_prefix and (aligns_prefix or predicts_prefix):
            field = ('head.align_prefix=False' if aligns_prefix
                     else 'neck.generator.predict_prefix=False')
            raise ValueError(
                f'{self.teacher.describe()} returns {teacher_cls} CLS token(s) but the student '
                f'has {geo.num_prefix}, and the loss compares them: set {field}')

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

    def train_step(self, data, optim_wrapper) -> Dict[str, torch.Tensor]:
        """MMEngine's ``BaseModel.train_step`` with the batch's preparation
        (data preprocessor, DataSamples, mask indices, checks) and the
        optimizer wrapper's update kept out of ``torch.compile``: MMEngine's
        ``compile`` config key compiles this method, and dynamo can trace
        neither DataSamples holding numpy masks nor the wrapper's param groups.
        The forward (and so its backward) is what gets compiled."""
        with optim_wrapper.optim_context(self):
            inputs, tokens = self._prepare(data)
            losses = self.loss_on_tokens(inputs, tokens)
        parsed_losses, log_vars = self.parse_losses(losses)
        self._update(optim_wrapper, parsed_losses)
        return log_vars

    @torch.compiler.disable
    def _prepare(self, data):
        data = self.data_preprocessor(data, True)
        return self.prepare_batch(data['inputs'], data['data_samples'])

    @staticmethod
    @torch.compiler.disable
    def _update(optim_wrapper, loss):
        optim_wrapper.update_params(loss)

    def prepare_batch(self, inputs: torch.Tensor, data_samples: List[DataSample]):
        """``(inputs, TokenSplit)``, views flattened, checked against the
        student's geometry."""
        inputs, tokens = self.split_views(inputs, data_samples)
        self.check_inputs(inputs)
        self.check_batch(tokens, data_samples)
        return inputs, tokens

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """L = L_pix + mean_l L_dir + mean_l L_gen, one logged entry per term
        (MMEngine sums the entries)."""
        return self.loss_on_tokens(*self.prepare_batch(inputs, data_samples))

    def loss_on_tokens(self, inputs: torch.Tensor,
                       tokens: TokenSplit) -> Dict[str, torch.Tensor]:
        """The loss of a prepared batch (:meth:`prepare_batch`)."""
        student = self.backbone(inputs, tokens.student_visible)
        teacher = self.teacher(inputs, tokens) if self.teacher is not None else None
        pred = self.neck(student, tokens)
        losses = self.head.loss(pred, teacher, inputs, tokens, self.input_norm)
        return {self.term_names.get(name, name): value for name, value in losses.items()}
