"""ViTDet's simple feature pyramid, for MMDetection (its wheel lacks it)."""
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

    Args:
        backbone_channel (int): channels of the ViT map (``embed_dims``).
        in_channels (Sequence[int]): channels of the four levels, which must
            be ``[C/4, C/2, C, C]``; kept for configs written for mmdet's
            ViTDet project.
        out_channels (int): channels of every output level.
        num_outs (int): number of outputs (>= 4).
        norm_cfg (dict): norm after the first upsampling and in the convs.

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
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        C = backbone_channel
        if list(in_channels) != [C // 4, C // 2, C, C] or num_outs < 4:
            raise ValueError(f'SimpleFPN: in_channels must be {[C // 4, C // 2, C, C]} '
                             f'and num_outs >= 4, got {list(in_channels)}, {num_outs}')
        self.num_outs = num_outs
        self.fpn1 = nn.Sequential(
            nn.ConvTranspose2d(C, C // 2, 2, 2), build_norm_layer(norm_cfg, C // 2)[1],
            nn.GELU(), nn.ConvTranspose2d(C // 2, C // 4, 2, 2))
        self.fpn2 = nn.ConvTranspose2d(C, C // 2, 2, 2)
        self.fpn3 = nn.Identity()
        self.fpn4 = nn.MaxPool2d(2, 2)
        self.lateral_convs = nn.ModuleList(
            ConvModule(c, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)
            for c in in_channels)
        self.fpn_convs = nn.ModuleList(
            ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg,
                       act_cfg=None) for _ in in_channels)

    def forward(self, inputs) -> List:
        x = inputs[0]
        levels = [stage(x) for stage in (self.fpn1, self.fpn2, self.fpn3, self.fpn4)]
        outs = [fpn(lateral(level)) for level, lateral, fpn
                in zip(levels, self.lateral_convs, self.fpn_convs)]
        while len(outs) < self.num_outs:
            outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        return tuple(outs)
