"""Compares the neck's predictions with their targets: pixels and teacher
features."""
import copy
from typing import Dict, List, NamedTuple, Optional, Sequence

import torch
from mmengine.model import BaseModule

from ...registry import MODELS
from ..necks.distill_neck import NeckOutput, TokenPrediction
from ..teachers.base import TeacherFeatures
from ..utils import TokenSplit


def patchify(inputs: torch.Tensor, patch_size: int, tubelet_size: int = 1) -> torch.Tensor:
    """(B, C, H, W) or (B, C, T, H, W) -> (B, N, t*p*p, C), tokens in raster
    order (frame slot, row, column), values in (t, row, column) order."""
    if inputs.ndim == 4:
        inputs = inputs.unsqueeze(2)
    B, C, T, H, W = inputs.shape
    t, p = tubelet_size, patch_size
    x = inputs.reshape(B, C, T // t, t, H // p, p, W // p, p)
    x = x.permute(0, 2, 4, 6, 3, 5, 7, 1)
    return x.reshape(B, (T // t) * (H // p) * (W // p), t * p * p, C)


def unpatchify(patches: torch.Tensor, grid, patch_size: int, tubelet_size: int = 1,
               channels: int = 3) -> torch.Tensor:
    """Inverse of :func:`patchify` (flattened values): (B, N, t*p*p*C) ->
    (B, C, H, W) for a 2-D grid, (B, C, T, H, W) for a 3-D one."""
    grid3 = tuple(grid) if len(grid) == 3 else (1, ) + tuple(grid)
    B = patches.shape[0]
    t, p = tubelet_size, patch_size
    x = patches.reshape(B, *grid3, t, p, p, channels)
    x = x.permute(0, 7, 1, 4, 2, 5, 3, 6)
    x = x.reshape(B, channels, grid3[0] * t, grid3[1] * p, grid3[2] * p)
    return x if len(grid) == 3 else x[:, :, 0]


def patch_statistics(patches: torch.Tensor, norm_pix):
    """(mean, std) of (B, n, K, C) patches, broadcastable to them: 'patch'
    standardises each patch over all its values (image MAE, eps 1e-6 inside
    the root); 'patch_channel' each channel of a patch on its own, dividing by
    std + 1e-6 (VideoMAE/AMD); None leaves pixels as they are."""
    if norm_pix == 'patch':
        return (patches.mean((2, 3), keepdim=True),
                (patches.flatten(2).var(-1)[..., None, None] + 1e-6).sqrt())
    if norm_pix == 'patch_channel':
        return patches.mean(2, keepdim=True), patches.var(2, keepdim=True).sqrt() + 1e-6
    if norm_pix is None:
        return patches.new_zeros(()), patches.new_ones(())
    raise ValueError("head.norm_pix must be None, 'patch' or 'patch_channel', "
                     f'got {norm_pix!r}')


def gather_patches(patches: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """(B, N, K, C) -> (B, n, K, C) at the token ``index`` (B, n)."""
    return torch.gather(patches, 1, index[..., None, None].expand(-1, -1, *patches.shape[2:]))


class InputNorm(NamedTuple):
    """How the data preprocessor normalised the inputs: ``x = (raw - mean) /
    std`` per channel, ``raw`` in [0, ``max_value``] (255 for uint8 data)."""
    mean: torch.Tensor
    std: torch.Tensor
    max_value: float = 255.

    @classmethod
    def of(cls, data_preprocessor) -> Optional['InputNorm']:
        """The normalisation of an mmpretrain/MMAction2 data preprocessor
        (None when it does not normalise)."""
        if not getattr(data_preprocessor, '_enable_normalize', False):
            return None
        return cls(data_preprocessor.mean.flatten(), data_preprocessor.std.flatten())

    def _shape(self, value: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return value.to(like).reshape(1, -1, *([1] * (like.ndim - 2)))

    def to_unit(self, inputs: torch.Tensor) -> torch.Tensor:
        """Normalised inputs -> raw pixels in [0, 1]."""
        return (inputs * self._shape(self.std, inputs)
                + self._shape(self.mean, inputs)) / self.max_value

    def from_unit(self, pixels: torch.Tensor) -> torch.Tensor:
        """The inverse of :meth:`to_unit`."""
        return ((pixels * self.max_value - self._shape(self.mean, pixels))
                / self._shape(self.std, pixels))


def target_space(inputs: torch.Tensor, norm_pix, input_norm: Optional[InputNorm]):
    """The pixels a target is computed from: 'patch_channel' standardises the
    un-normalised [0, 1] pixels, as VideoMAE/AMD ``engine_for_pretraining.py``
    (so its ``std + 1e-6`` acts on the official scale); 'patch' and None use
    the preprocessor's normalised inputs, as MAE ``models_mae.py``."""
    if norm_pix == 'patch_channel' and input_norm is not None:
        return input_norm.to_unit(inputs.float())
    return inputs.float()


def pixel_targets(inputs, patch_size, tubelet_size=1, norm_pix='patch', index=None,
                  input_norm: Optional[InputNorm] = None):
    """Per-token pixel targets (B, N, t*p*p*C), or only at the tokens
    ``index`` (B, n) — normalised after selection, so no work is spent on
    patches that are not predicted. See :func:`patch_statistics` and
    :func:`target_space`."""
    patches = patchify(target_space(inputs, norm_pix, input_norm), patch_size, tubelet_size)
    if index is not None:
        patches = gather_patches(patches, index)
    mean, std = patch_statistics(patches, norm_pix)
    return ((patches - mean) / std).flatten(2)


def _mean(terms: List[torch.Tensor]) -> torch.Tensor:
    return torch.stack(terms).mean()


@MODELS.register_module()
class MaskedDistillHead(BaseModule):
    """The loss of masked distillation, L = L_pix + mean_l L_dir + mean_l
    L_gen, one logged entry per term:

    * ``loss_pixel`` (L_pix): pixel reconstruction at the student-masked
      tokens;
    * ``loss_direct`` (L_dir): phi_l(z_s^l) vs the teacher's block at the
      student-visible tokens (and CLS when ``align_prefix``);
    * ``loss_gen`` (L_gen): G_l(...) vs the teacher's block at the diff tokens
      (and CLS when the generator predicts it). Absent when there are no diff
      tokens (symmetric masking).

    Layers are averaged as the official AMD code does (the paper writes a
    plain sum); use ``loss_weight`` to recover the sum.

    Args:
        patch_size (int): pixel patch size.
        tubelet_size (int): frames per token (1 for images).
        norm_pix (str, optional): see :func:`pixel_targets`.
        pixel_loss, direct_loss, gen_loss (dict, optional): ``TokenAlignLoss``
            configs (criterion, normalisation, ``loss_weight``); None drops
            the term.
        align_prefix (bool): include the CLS token in direct alignment.
    """

    def __init__(self,
                 patch_size: int,
                 tubelet_size: int = 1,
                 norm_pix: Optional[str] = 'patch',
                 pixel_loss: Optional[dict] = dict(type='TokenAlignLoss', criterion='l2'),
                 direct_loss: Optional[dict] = dict(type='TokenAlignLoss', criterion='l2'),
                 gen_loss: Optional[dict] = dict(type='TokenAlignLoss', criterion='l2'),
                 align_prefix: bool = True,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        patch_statistics(torch.zeros(1, 1, 2, 1), norm_pix)  # validates norm_pix
        self.norm_pix = norm_pix
        self.align_prefix = align_prefix
        build = lambda cfg: MODELS.build(copy.deepcopy(cfg)) if cfg else None  # noqa
        self.pixel_loss = build(pixel_loss)
        self.direct_loss = build(direct_loss)
        self.gen_loss = build(gen_loss)

    def predicted_pixels(self, pred: torch.Tensor, inputs: torch.Tensor, tokens: TokenSplit,
                         input_norm: Optional[InputNorm] = None) -> torch.Tensor:
        """The input with its student-masked patches replaced by the
        prediction, mapped back from the target space with each patch's own
        statistics (as MAE's visualisation). Same shape and space as
        ``inputs`` (the preprocessor's normalised one)."""
        space = target_space(inputs, self.norm_pix, input_norm)
        patches = patchify(space, self.patch_size, self.tubelet_size)
        B, N, K, C = patches.shape
        index = tokens.student_masked
        mean, std = patch_statistics(gather_patches(patches, index), self.norm_pix)
        values = pred.reshape(B, -1, K, C) * std + mean
        flat = patches.scatter(1, index[..., None, None].expand(-1, -1, K, C),
                               values.to(patches.dtype)).flatten(2)
        grid = ((inputs.shape[2] // self.tubelet_size, ) if inputs.ndim == 5 else ()) + (
            inputs.shape[-2] // self.patch_size, inputs.shape[-1] // self.patch_size)
        out = unpatchify(flat, grid, self.patch_size, self.tubelet_size, C)
        if self.norm_pix == 'patch_channel' and input_norm is not None:
            out = input_norm.from_unit(out)
        return out

    def pixel_term(self, pred: torch.Tensor, inputs: torch.Tensor, tokens: TokenSplit,
                   input_norm: Optional[InputNorm] = None) -> torch.Tensor:
        """L_pix: the decoder's prediction vs the pixel targets at the
        student-masked tokens."""
        target = pixel_targets(inputs, self.patch_size, self.tubelet_size, self.norm_pix,
                               index=tokens.student_masked, input_norm=input_norm)
        return self.pixel_loss(pred, target)

    def direct_term(self, pred: TokenPrediction, teacher: TeacherFeatures) -> torch.Tensor:
        """L_dir of one layer: at the student-visible tokens, and at CLS
        when ``align_prefix``."""
        if self.align_prefix:
            return self.direct_loss(torch.cat([pred.prefix, pred.tokens], 1),
                                    torch.cat([teacher.prefix, teacher.visible], 1))
        return self.direct_loss(pred.tokens, teacher.visible)

    def gen_term(self, pred: TokenPrediction, teacher: TeacherFeatures) -> torch.Tensor:
        """L_gen of one layer: at the diff tokens, and at CLS when the
        generator predicts it."""
        target = teacher.diff
        if pred.prefix.shape[1]:
            pred = torch.cat([pred.prefix, pred.tokens], 1)
            target = torch.cat([teacher.prefix, target], 1)
        else:
            pred = pred.tokens
        return self.gen_loss(pred, target)

    def loss(self, pred: NeckOutput, teacher: Optional[Sequence[TeacherFeatures]],
             inputs: torch.Tensor, tokens: TokenSplit,
             input_norm: Optional[InputNorm] = None) -> Dict[str, torch.Tensor]:
        """The terms of L that this model has.

        Args:
            pred (NeckOutput): the neck's predictions.
            teacher (list[TeacherFeatures], optional): one per aligned teacher
                block (None without a teacher).
            inputs (Tensor): the preprocessed batch, views flattened.
            tokens (TokenSplit): the batch's token split.
            input_norm (InputNorm, optional): the preprocessor's
                normalisation (used by ``norm_pix='patch_channel'``).
        """
        losses = {}
        if self.pixel_loss is not None and pred.pixel is not None:
            losses['loss_pixel'] = self.pixel_term(pred.pixel, inputs, tokens, input_norm)
        if self.direct_loss is not None and pred.direct:
            losses['loss_direct'] = _mean([self.direct_term(p, t)
                                           for p, t in zip(pred.direct, teacher)])
        if self.gen_loss is not None and pred.gen and tokens.num_diff:
            losses['loss_gen'] = _mean([self.gen_term(p, t) for p, t in zip(pred.gen, teacher)])
        return losses
