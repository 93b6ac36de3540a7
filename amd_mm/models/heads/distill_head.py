"""Compares the neck's predictions with their targets: pixels and teacher
features."""
import copy
from typing import Dict, List, Optional

import torch
from mmengine.model import BaseModule

from ...registry import MODELS
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


def pixel_targets(inputs, patch_size, tubelet_size=1, norm_pix='patch', index=None):
    """Per-token pixel targets (B, N, t*p*p*C), or only at the tokens
    ``index`` (B, n) — normalised after selection, so no work is spent on
    patches that are not predicted. See :func:`patch_statistics`."""
    patches = patchify(inputs.float(), patch_size, tubelet_size)
    if index is not None:
        patches = gather_patches(patches, index)
    mean, std = patch_statistics(patches, norm_pix)
    return ((patches - mean) / std).flatten(2)


@MODELS.register_module()
class MaskedDistillHead(BaseModule):
    """Loss terms of masked distillation, one logged entry each:

    * ``loss_pixel``: pixel reconstruction at the student-masked tokens;
    * ``loss_direct``: phi_l(z_s^l) vs the teacher at the student-visible
      tokens (and CLS when ``align_prefix``), averaged over layers;
    * ``loss_gen``: G_l(...) vs the teacher at the diff tokens (and CLS when
      the generator predicts it), averaged over layers. Absent when there are
      no diff tokens (symmetric masking).

    Layers are averaged as the official AMD code does (the paper writes a
    plain sum); use ``loss_weight`` to recover the sum.

    Args:
        patch_size (int): pixel patch size.
        tubelet_size (int): frames per token (1 for images).
        norm_pix (str, optional): see :func:`pixel_targets`.
        pixel_loss, direct_loss, gen_loss (dict, optional): ``TokenAlignLoss``
            configs (criterion, normalisation, ``loss_weight``).
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
        pixel_targets(torch.zeros(1, 1, tubelet_size, patch_size, patch_size),
                      patch_size, tubelet_size, norm_pix)  # validates norm_pix
        self.norm_pix = norm_pix
        self.align_prefix = align_prefix
        build = lambda cfg: MODELS.build(copy.deepcopy(cfg)) if cfg else None  # noqa
        self.pixel_loss = build(pixel_loss)
        self.direct_loss = build(direct_loss)
        self.gen_loss = build(gen_loss)

    def predicted_pixels(self, pred: torch.Tensor, inputs: torch.Tensor,
                         tokens: TokenSplit) -> torch.Tensor:
        """The input with its student-masked patches replaced by the
        prediction, mapped back from the normalised target space with each
        patch's own statistics (as MAE's visualisation). Same shape as
        ``inputs``."""
        patches = patchify(inputs.float(), self.patch_size, self.tubelet_size)
        B, N, K, C = patches.shape
        index = tokens.student_masked
        mean, std = patch_statistics(gather_patches(patches, index), self.norm_pix)
        values = pred.reshape(B, -1, K, C) * std + mean
        flat = patches.scatter(1, index[..., None, None].expand(-1, -1, K, C),
                               values.to(patches.dtype)).flatten(2)
        grid = ((inputs.shape[2] // self.tubelet_size, ) if inputs.ndim == 5 else ()) + (
            inputs.shape[-2] // self.patch_size, inputs.shape[-1] // self.patch_size)
        return unpatchify(flat, grid, self.patch_size, self.tubelet_size, C)

    def loss(self, preds: Dict[str, object], teacher_features: List[torch.Tensor],
             inputs: torch.Tensor, tokens: TokenSplit) -> Dict[str, torch.Tensor]:
        losses = {}
        if preds['pixel'] is not None and self.pixel_loss is not None:
            target = pixel_targets(inputs, self.patch_size, self.tubelet_size,
                                   self.norm_pix, index=tokens.student_masked)
            losses['loss_pixel'] = self.pixel_loss(preds['pixel'], target)

        n_vis, n_diff = tokens.num_visible, tokens.num_diff
        direct, gen = [], []
        for pred, feature in zip(preds['direct'] if self.direct_loss else [],
                                 teacher_features):
            prefix = feature.shape[1] - n_vis - n_diff
            target = feature[:, :prefix + n_vis]
            if not (self.align_prefix and prefix):
                pred, target = pred[:, pred.shape[1] - n_vis:], target[:, prefix:]
            direct.append(self.direct_loss(pred, target))
        if direct:
            losses['loss_direct'] = torch.stack(direct).mean()

        for pred, feature in zip(preds['gen'] if self.gen_loss else [],
                                 teacher_features):
            prefix = feature.shape[1] - n_vis - n_diff
            target = feature[:, prefix + n_vis:]
            if pred.shape[1] == n_diff + prefix:  # the generator predicts CLS too
                target = torch.cat([feature[:, :prefix], target], dim=1)
            if target.shape[1]:
                gen.append(self.gen_loss(pred, target))
        if gen:
            losses['loss_gen'] = torch.stack(gen).mean()
        return losses
