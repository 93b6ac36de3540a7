"""The plain ViT backbone of ViTDet, for MMDetection (its wheel has no
``projects/ViTDet``)."""
import math
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_

from ..converters import (CheckpointMismatchError, layout_of, load_checkpoint,
                          mmpretrain_to_timm, strip_prefix, unwrap_state_dict)
from ..registry import MMDET_MODELS
from .layer_decay import vit_layer_depth


def resample_positions(pos_embed: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """(1, g*g, C) patch positions -> (1, h, w, C), bicubic when the grid differs."""
    grid = math.isqrt(pos_embed.shape[1])
    pos = pos_embed.reshape(1, grid, grid, -1)
    if (grid, grid) != tuple(size):
        pos = F.interpolate(pos.permute(0, 3, 1, 2), size=size, mode='bicubic',
                            align_corners=False).permute(0, 2, 3, 1)
    return pos


def relative_positions(table: torch.Tensor, q_size: int, k_size: int) -> torch.Tensor:
    """The (q_size, k_size, C) rows of a relative-position table, resampled
    linearly when the table was made for another size (ViTDet's ``get_rel_pos``)."""
    length = 2 * max(q_size, k_size) - 1
    if table.shape[0] != length:
        table = F.interpolate(table.T[None], size=length, mode='linear')[0].T
    q = torch.arange(q_size, device=table.device)[:, None] * max(k_size / q_size, 1.0)
    k = torch.arange(k_size, device=table.device)[None, :] * max(q_size / k_size, 1.0)
    return table[(q - k + (k_size - 1) * max(q_size / k_size, 1.0)).long()]


class Attention(nn.Module):
    """Multi-head attention over a (B, H, W, C) map with ViTDet's decomposed
    relative position bias, through ``F.scaled_dot_product_attention``."""

    def __init__(self, dims, num_heads, qkv_bias=True, rel_pos_size=None):
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dims, dims * 3, bias=qkv_bias)
        self.proj = nn.Linear(dims, dims)
        self.use_rel_pos = rel_pos_size is not None
        if self.use_rel_pos:  # learned from zero: MAE pre-training has none
            head_dims = dims // num_heads
            self.rel_pos_h = nn.Parameter(torch.zeros(2 * rel_pos_size[0] - 1, head_dims))
            self.rel_pos_w = nn.Parameter(torch.zeros(2 * rel_pos_size[1] - 1, head_dims))

    def forward(self, x):
        B, H, W, C = x.shape
        q, k, v = self.qkv(x).reshape(B, H * W, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        bias = None
        if self.use_rel_pos:
            rq = q.reshape(B, self.num_heads, H, W, -1)
            rel_h = torch.einsum('bnhwc,hkc->bnhwk', rq, relative_positions(self.rel_pos_h, H, H))
            rel_w = torch.einsum('bnhwc,wkc->bnhwk', rq, relative_positions(self.rel_pos_w, W, W))
            bias = (rel_h[..., :, None] + rel_w[..., None, :]).reshape(
                B, self.num_heads, H * W, H * W)
        x = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.proj(x.transpose(1, 2).reshape(B, H, W, C))


class Mlp(nn.Sequential):
    """timm's ``Mlp`` keys: ``fc1``, ``fc2``."""

    def __init__(self, dims, hidden):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dims, hidden), nn.GELU(), nn.Linear(hidden, dims)


class Block(nn.Module):
    """A pre-norm block attending within ``window_size`` windows (0: globally)."""

    def __init__(self, dims, num_heads, mlp_ratio, qkv_bias, drop_path, norm_eps,
                 window_size, rel_pos_size):
        super().__init__()
        self.window_size = window_size
        self.norm1 = nn.LayerNorm(dims, eps=norm_eps)
        self.attn = Attention(dims, num_heads, qkv_bias, rel_pos_size)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dims, eps=norm_eps)
        self.mlp = Mlp(dims, int(dims * mlp_ratio))

    def _attend(self, x):
        if not self.window_size:
            return self.attn(x)
        B, H, W, C = x.shape
        s = self.window_size
        x = F.pad(x, (0, 0, 0, -W % s, 0, -H % s))  # pad to whole windows
        Hp, Wp = x.shape[1:3]
        windows = x.reshape(B, Hp // s, s, Wp // s, s, C).transpose(2, 3).reshape(-1, s, s, C)
        x = self.attn(windows).reshape(B, Hp // s, Wp // s, s, s, C).transpose(2, 3)
        return x.reshape(B, Hp, Wp, C)[:, :H, :W]

    def forward(self, x):
        x = x + self.drop_path(self._attend(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):

    def __init__(self, in_channels, dims, patch_size):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, dims, patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).permute(0, 2, 3, 1)  # (B, H, W, C)


@MMDET_MODELS.register_module()
class ViTDet(BaseModule):
    """A plain ViT with window attention and relative positions, the backbone
    of `ViTDet <https://arxiv.org/abs/2203.16527>`_, in timm/official-MAE
    key names (``patch_embed.proj``, ``blocks.N.attn.qkv``, ``mlp.fc1``).

    It returns one stride-``patch_size`` map; ``SimpleFPN`` builds the
    pyramid. The absolute positions keep the pre-training grid (with its CLS
    slot, ``pretrain_img_size``) and are resampled to the input in forward,
    so pre-trained weights load unchanged.

    ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``
    reads an amd_mm pre-training checkpoint or its mmpretrain export directly
    (converted to timm keys at load time), and ``prefix`` is ignored for a
    ``{'model': timm keys}`` file (``tools/convert_checkpoint.py --to timm``,
    or an official MAE release). Unlike mmdet's project, loading is checked:
    a missing pre-trained weight raises with the keys named; only
    ``rel_pos_h``/``rel_pos_w`` start from zero, and ``cls_token`` and the
    final ``norm`` are not used.

    Args:
        img_size (int): detection input size (sizes the global blocks'
            relative-position tables).
        patch_size (int): patch size, the output stride.
        in_channels (int): input channels.
        embed_dims (int), depth (int), num_heads (int), mlp_ratio (float),
        qkv_bias (bool): the ViT's size, as pre-trained.
        drop_path_rate (float): stochastic depth, linear in depth.
        norm_eps (float): LayerNorm eps (1e-6 in MAE).
        window_size (int): side of the attention windows.
        window_block_indexes (Sequence[int]): 0-indexed blocks that attend
            within windows; the others attend globally.
        use_rel_pos (bool): decomposed relative position bias.
        pretrain_img_size (int): image size of pre-training.
    """

    def __init__(self,
                 img_size: int = 1024,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 embed_dims: int = 768,
                 depth: int = 12,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 drop_path_rate: float = 0.1,
                 norm_eps: float = 1e-6,
                 window_size: int = 14,
                 window_block_indexes: Sequence[int] = (0, 1, 3, 4, 6, 7, 9, 10),
                 use_rel_pos: bool = True,
                 pretrain_img_size: int = 224,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.patch_embed = PatchEmbed(in_channels, embed_dims, patch_size)
        pretrain_grid = pretrain_img_size // patch_size
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + pretrain_grid ** 2, embed_dims))
        global_grid = img_size // patch_size
        rates = torch.linspace(0, drop_path_rate, depth).tolist()
        blocks = []
        for index, rate in enumerate(rates):
            window = window_size if index in window_block_indexes else 0
            size = (window or global_grid, ) * 2
            blocks.append(Block(embed_dims, num_heads, mlp_ratio, qkv_bias, rate,
                                norm_eps, window, size if use_rel_pos else None))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        x = self.patch_embed(x)
        x = x + resample_positions(self.pos_embed[:, 1:], x.shape[1:3])
        for block in self.blocks:
            x = block(x)
        return (x.permute(0, 3, 1, 2).contiguous(), )

    def get_layer_depth(self, param_name: str, prefix: str = ''):
        """For layer-wise lr decay, as mmpretrain's ViT counts it."""
        return vit_layer_depth(param_name, len(self.blocks), prefix)

    def init_weights(self):
        if isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained':
            self.load_pretrained(self.init_cfg['checkpoint'], self.init_cfg.get('prefix'))
            self._is_init = True
            return
        trunc_normal_(self.pos_embed, std=.02)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                trunc_normal_(module.weight, std=.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def load_pretrained(self, path: str, prefix: str = None):
        """Load a pre-trained ViT (see the class doc), checked."""
        state = unwrap_state_dict(load_checkpoint(path))
        if prefix:
            state = strip_prefix(state, (prefix, ))
        if layout_of(state) == 'mmpretrain':
            state = mmpretrain_to_timm(state)
        expected = [k for k in self.state_dict() if '.rel_pos_' not in k]
        missing = [k for k in expected if k not in state]
        if missing:
            raise CheckpointMismatchError(
                f'ViTDet: {path!r} lacks pre-trained weights; missing keys '
                f'({len(missing)}): {missing}')
        weights = {k: state[k] for k in expected}
        if weights['pos_embed'].shape != self.pos_embed.shape:  # another pre-training size
            side = math.isqrt(self.pos_embed.shape[1] - 1)
            grid = resample_positions(weights['pos_embed'][:, 1:], (side, side))
            weights['pos_embed'] = torch.cat(
                [weights['pos_embed'][:, :1], grid.flatten(1, 2)], dim=1)
        self.load_state_dict(weights, strict=False)
        MMLogger.get_current_instance().info(
            f'ViTDet: loaded {len(weights)} pre-trained tensors from {path}; '
            f'unused: {sorted(set(state) - set(weights))}')
