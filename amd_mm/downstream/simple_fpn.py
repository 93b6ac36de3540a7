"""ViTDet's simple feature pyramid, for MMDetection (its wheel lacks it)."""
import math
from typing import List, Sequence

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule
from mmpretrain.models.utils import LayerNorm2d

from ..registry import MMDET_MODELS

# ViTDet's heads and pyramid normalise channels-first maps with LayerNorm
if 'LN2d' not in MMDET_MODELS.module_dict:
    MMDET_MODELS.register_module('LN2d', module=LayerNorm2d)


@MMDET_MODELS.register_module()
class SimpleFPN(BaseModule):
    """The pyramid of `ViTDet <https://arxiv.org/abs/2203.16527>`_: the
    single map of a plain ViT upsampled 4x and 2x by transposed convolutions,
    kept, and max-pooled 2x, then a 1x1 lateral and a 3x3 output conv per
    level; extra levels by stride-2 subsampling of the last one.

    ``scale_factors`` names the levels: ``(4, 2, 1, 0.5)`` (default) is the
    paper's pyramid for a stride-16 ViT (strides 4/8/16/32); a stride-4 ViT
    (4x4 patches) gets the same strides from ``(1, 0.5, 0.25, 0.125)``,
    where 4x/2x upsampling would only make useless stride-1/2 levels.
    Upsampling by 4 is deconv-norm-GELU-deconv (``C/4`` channels), by 2 one
    deconv (``C/2``), 1 keeps the map (``C``) and ``1/2^k`` max-pools by
    ``2^k`` (``C``).

    Args:
        backbone_channel (int): channels of the ViT map (``embed_dims``).
        in_channels (Sequence[int]): channels of the levels, which must be
            those of ``scale_factors`` (``[C/4, C/2, C, C]`` by default);
            kept for configs written for mmdet's ViTDet project.
        out_channels (int): channels of every output level.
        num_outs (int): number of outputs (>= the number of levels).
        norm_cfg (dict): norm after the first upsampling and in the convs.
        scale_factors (Sequence[float]): per level, its scale relative to
            the ViT map: 4, 2, 1 or 1/2^k.

    Example:
        >>> import torch
        >>> from mmengine.registry import init_default_scope
        >>> init_default_scope('mmdet')  # where LN2d is registered
        >>> fpn = SimpleFPN(64, [16, 32, 64, 64], 32, 5, dict(type='LN2d'))
        >>> [tuple(o.shape) for o in fpn((torch.rand(1, 64, 8, 8), ))]
        [(1, 32, 32, 32), (1, 32, 16, 16), (1, 32, 8, 8), (1, 32, 4, 4), (1, 32, 2, 2)]
    """

    def __init__(self,
                 backbone_channel: int,
                 in_channels: Sequence[int],
                 out_channels: int,
                 num_outs: int,
                 norm_cfg: dict = dict(type='LN2d', requires_grad=True),
                 scale_factors: Sequence[float] = (4, 2, 1, 0.5),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        C = backbone_channel
        stages, channels = zip(*(self._stage(C, s, norm_cfg) for s in scale_factors))
        if list(in_channels) != list(channels) or num_outs < len(scale_factors):
            raise ValueError(f'SimpleFPN: in_channels must be {list(channels)} (the levels of '
                             f'scale_factors={tuple(scale_factors)}) and num_outs >= '
                             f'{len(scale_factors)}, got {list(in_channels)}, {num_outs}')
        self.num_outs = num_outs
        # fpn1..fpnN, the names of mmdet's ViTDet project (checkpoints load)
        for index, stage in enumerate(stages, 1):
            setattr(self, f'fpn{index}', stage)
        self.stages = [f'fpn{i}' for i in range(1, len(stages) + 1)]
        self.lateral_convs = nn.ModuleList(
            ConvModule(c, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)
            for c in in_channels)
        self.fpn_convs = nn.ModuleList(
            ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg,
                       act_cfg=None) for _ in in_channels)

    @staticmethod
    def _stage(C, scale, norm_cfg):
        """``(module, output channels)`` of the level at ``scale``."""
        if scale == 4:
            return nn.Sequential(
                nn.ConvTranspose2d(C, C // 2, 2, 2), build_norm_layer(norm_cfg, C // 2)[1],
                nn.GELU(), nn.ConvTranspose2d(C // 2, C // 4, 2, 2)), C // 4
        if scale == 2:
            return nn.ConvTranspose2d(C, C // 2, 2, 2), C // 2
        if scale == 1:
            return nn.Identity(), C
        step = round(1 / scale) if scale > 0 else 0
        if 0 < scale < 1 and step == 1 / scale and math.log2(step).is_integer():
            return nn.MaxPool2d(step, step), C
        raise ValueError(f'SimpleFPN: scale_factors entry {scale!r}, expected 4, 2, 1 '
                         'or 1/2^k (0.5, 0.25, ...)')

    def forward(self, inputs) -> List:
        x = inputs[0]
        levels = [getattr(self, name)(x) for name in self.stages]
        outs = [fpn(lateral(level)) for level, lateral, fpn
                in zip(levels, self.lateral_convs, self.fpn_convs)]
        while len(outs) < self.num_outs:
            outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        return tuple(outs)
