"""Video ViT for masked distillation (student or teacher), in MMAction2's
``VisionTransformer`` layout."""
import inspect
from typing import Sequence

import torch
import torch.nn.functional as F
from mmaction.models.backbones.vit_mae import Attention, VisionTransformer

from ...registry import MMACTION_MODELS, register_model
from ...converters.keys import videomae_to_mmaction
from ..utils.init import mae_init_
from ..utils.ranges import check_transformer
from .masked_encoder import MaskedEncoderMixin, TokenGeometry


# MMAction2's VisionTransformer defaults of the settings checked at build
_VIT_DEFAULTS = {name: param.default for name, param in inspect.signature(
    VisionTransformer.__init__).parameters.items()
    if name in ('num_frames', 'tubelet_size', 'embed_dims', 'num_heads', 'drop_path_rate')}


class FusedAttention(Attention):
    """MMAction2's VideoMAE attention (same parameters: ``qkv`` without bias,
    ``q_bias``/``v_bias``, ``proj``) computed by
    ``F.scaled_dot_product_attention`` instead of an explicit softmax."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, N, C = x.shape
        bias = None
        if hasattr(self, 'q_bias'):  # VideoMAE: no key bias
            bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias), self.v_bias))
        qkv = F.linear(x, self.qkv.weight, bias)
        q, k, v = qkv.reshape(B, N, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        x = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop.p if self.training else 0.,
            scale=self.scale)
        return self.proj_drop(self.proj(x.transpose(1, 2).reshape(B, N, -1)))


@register_model(MMACTION_MODELS)
class MaskedVideoViT(MaskedEncoderMixin, VisionTransformer):
    """A VideoMAE ViT that encodes only the tubelet tokens it is given and
    returns the outputs of the requested blocks (AMD's video student and
    teacher).

    It is MMAction2's ``VisionTransformer`` (``mmaction/models/backbones/
    vit_mae.py``) with the same state-dict keys, so ``backbone.*`` of a
    pre-trained student loads into MMAction2's VideoMAE fine-tune configs
    with no missing or unexpected key. Tokens are tubelets of
    ``tubelet_size x patch_size x patch_size`` in raster order (frame slot,
    row, column), no CLS token, the fixed 1-D sinusoid position table of
    VideoMAE. Attention runs through ``F.scaled_dot_product_attention``.

    The pre-training final norm sits in ``fc_norm`` (``use_mean_pooling=True``,
    as the fine-tune configs) and is applied per token in the masked forward,
    as VideoMAE's encoder ``norm``. Official AMD's student is fixed to 16
    frames (its ``PatchEmbed`` default); here ``num_frames`` is a config field.

    Args:
        feature_blocks (Sequence[int]): 1-indexed blocks whose (pre-norm)
            outputs the masked forward returns, e.g. ``(6, 12)``.
        with_cp (bool): activation checkpointing of the blocks (masked path).
        **kwargs: the arguments of ``mmaction.models.VisionTransformer``
            (``img_size``, ``num_frames``, ``tubelet_size``, ``embed_dims``,
            ``depth``, ``num_heads``, ...).

    Example:
        >>> import torch
        >>> from amd_mm.models import MaskedVideoViT
        >>> vit = MaskedVideoViT(img_size=32, patch_size=16, num_frames=4,
        ...                      embed_dims=32, depth=2, num_heads=2,
        ...                      feature_blocks=(1, 2))
        >>> out = vit(torch.rand(2, 3, 4, 32, 32), torch.tensor([[0, 5]] * 2))
        >>> out.latent.shape, [f.shape for f in out.features]
        (torch.Size([2, 2, 32]), [torch.Size([2, 2, 32]), torch.Size([2, 2, 32])])
    """

    # FrozenTeacher/load_vit_checkpoint: official VideoMAE -> these keys
    checkpoint_converter = staticmethod(videomae_to_mmaction)

    def __init__(self,
                 feature_blocks: Sequence[int] = (),
                 with_cp: bool = False,
                 init_cfg=None,
                 **kwargs):
        settings = dict(_VIT_DEFAULTS, **kwargs)
        frames, tubelet = settings['num_frames'], settings['tubelet_size']
        if frames % tubelet:
            raise ValueError(
                f'backbone (MaskedVideoViT) num_frames={frames} is not a multiple of '
                f'tubelet_size={tubelet} (the tubelet embedding would drop the last '
                f'{frames % tubelet} frame(s)): set num_frames to '
                f'{frames - frames % tubelet} or {frames - frames % tubelet + tubelet}, and the '
                "pipeline's clip_len and masking.input_size to match")
        check_transformer('backbone (MaskedVideoViT)', settings['embed_dims'],
                          settings['num_heads'], settings['drop_path_rate'])
        super().__init__(init_cfg=init_cfg, **kwargs)
        for block in self.blocks:
            old = block.attn
            block.attn = FusedAttention(
                old.embed_dims, old.num_heads, qkv_bias=hasattr(old, 'q_bias'),
                qk_scale=old.scale, attn_drop_rate=old.attn_drop.p,
                drop_rate=old.proj_drop.p)
        self.feature_blocks = self.check_feature_blocks(
            feature_blocks, 'backbone.feature_blocks')
        self.with_cp = with_cp

    @property
    def _blocks(self):
        return self.blocks

    @property
    def geometry(self) -> TokenGeometry:
        conv = self.patch_embed.projection
        t, p = int(conv.kernel_size[0]), int(conv.kernel_size[1])
        h, w = (int(s) for s in self.grid_size)
        slots = self.pos_embed.shape[1] // (h * w)
        return TokenGeometry((slots, h, w), p, t, (slots * t, h * p, w * p), 0,
                             int(conv.in_channels))

    @property
    def _final_norm(self):
        return self.fc_norm if self.fc_norm is not None else self.norm

    def _patch_tokens(self, inputs):
        tokens = self.patch_embed(inputs)[0]
        if tokens.shape[1] != self.pos_embed.shape[1]:
            raise ValueError(
                f'input {tuple(inputs.shape[2:])} (T, H, W) gives '
                f'{tokens.shape[1]} tokens but the backbone was built for '
                f'{self.pos_embed.shape[1]} (set num_frames/img_size)')
        return tokens + self.pos_embed

    def _prefix_tokens(self, batch_size):
        return None

    def _pre_blocks(self, tokens):
        return self.pos_drop(tokens)

    def init_weights(self):
        """VideoMAE pre-training's initialisation (xavier-uniform Linear,
        zero bias, unit LayerNorm), unless a checkpoint is given."""
        super().init_weights()
        if isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained':
            return
        mae_init_(self)

    def forward(self, inputs: torch.Tensor, visible: torch.Tensor = None):
        """Without ``visible``: MMAction2's ``VisionTransformer`` forward
        (every token; mean-pooled ``fc_norm`` or the feature map). With
        ``visible`` (B, n) token indices: the masked forward, an
        :class:`EncoderOutput` for ``feature_blocks``."""
        if visible is None:
            return super().forward(inputs)
        return self.forward_tokens(inputs, visible, self.feature_blocks)
