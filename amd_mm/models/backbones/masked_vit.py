"""Image ViT for masked distillation (student or teacher)."""
from typing import Sequence

import numpy as np
import torch
from mmpretrain.models.selfsup.mae import MAEViT

from ...registry import MODELS
from ..utils.init import mae_init_
from ..utils.ranges import check_transformer
from .masked_encoder import MaskedEncoderMixin, TokenGeometry


@MODELS.register_module()
class MaskedViT(MaskedEncoderMixin, MAEViT):
    """An MAE-style ViT that encodes only the tokens it is given and returns
    the outputs of the requested blocks (the student and the teacher of
    AMD, DMAE and dBOT for images).

    It is mmpretrain's ``MAEViT`` (so ``VisionTransformer``): fixed 2-D
    sin-cos position, CLS token, attention through
    ``F.scaled_dot_product_attention`` (mmpretrain's ``MultiheadAttention``).
    Masks come from the data pipeline, not from the backbone.

    By default the final norm is kept in the ``ln2`` slot
    (``final_norm=False, out_type='avg_featmap'``), which is where mmpretrain's
    MAE fine-tune ViT keeps its head norm: the ``backbone.*`` weights then load
    into that config with no missing and no unexpected key.

    Args:
        feature_blocks (Sequence[int]): 1-indexed blocks whose (pre-norm)
            outputs the masked forward returns, e.g. ``(6, 12)``.
        with_cp (bool): activation checkpointing of the blocks.
        **kwargs: the arguments of ``mmpretrain.models.MAEViT``.

    Example:
        >>> import torch
        >>> from amd_mm.models import MaskedViT
        >>> vit = MaskedViT(arch=dict(embed_dims=32, num_layers=2, num_heads=2,
        ...                 feedforward_channels=64), img_size=32, patch_size=4,
        ...                 feature_blocks=(1, 2))
        >>> out = vit(torch.rand(2, 3, 32, 32), torch.arange(16).repeat(2, 1))
        >>> out.latent.shape, [f.shape for f in out.features]
        (torch.Size([2, 17, 32]), [torch.Size([2, 17, 32]), torch.Size([2, 17, 32])])
    """

    def __init__(self,
                 *args,
                 feature_blocks: Sequence[int] = (),
                 with_cp: bool = False,
                 final_norm: bool = False,
                 out_type: str = 'avg_featmap',
                 **kwargs):
        super().__init__(*args, final_norm=final_norm, out_type=out_type, **kwargs)
        check_transformer('backbone (MaskedViT)', self.embed_dims,
                          self.arch_settings['num_heads'], kwargs.get('drop_path_rate', 0.))
        if not final_norm and out_type != 'avg_featmap':
            raise ValueError('MaskedViT needs a final norm: set final_norm=True '
                             f"or out_type='avg_featmap' (got final_norm="
                             f'{final_norm}, out_type={out_type!r})')
        self.feature_blocks = self.check_feature_blocks(
            feature_blocks, 'backbone.feature_blocks')
        self.with_cp = with_cp
        for module in self.modules():
            # mmpretrain gives DropPath numpy rates; torch.compile (MMEngine's
            # `compile` key) guards on them as tensors, which fails under the
            # teacher's inference mode
            if isinstance(getattr(module, 'drop_prob', None), np.generic):
                module.drop_prob = float(module.drop_prob)

    @property
    def _blocks(self):
        return self.layers

    @property
    def geometry(self) -> TokenGeometry:
        conv = self.patch_embed.projection
        return TokenGeometry(tuple(int(s) for s in self.patch_resolution),
                             int(conv.kernel_size[0]), 1,
                             tuple(int(s) for s in self.img_size),
                             self.num_extra_tokens, int(conv.in_channels))

    @property
    def _final_norm(self):
        return self.ln1 if self.final_norm else self.ln2

    def _patch_tokens(self, inputs):
        tokens, _ = self.patch_embed(inputs)
        return tokens + self.pos_embed[:, self.num_extra_tokens:]

    def _prefix_tokens(self, batch_size):
        cls_token = self.cls_token + self.pos_embed[:, :1]
        return cls_token.expand(batch_size, -1, -1)

    def _pre_blocks(self, tokens):
        return self.pre_norm(self.drop_after_pos(tokens))

    def init_weights(self):
        """MAE's initialisation, self-contained (no model-level init_cfg is
        needed, so a teacher beside this backbone is never re-initialised).
        With ``init_cfg=Pretrained`` only the checkpoint is loaded: mmpretrain's
        ``MAEViT.init_weights`` would re-draw the patch embedding and the CLS
        token after loading it."""
        if isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained':
            return super(MAEViT, self).init_weights()
        super().init_weights()
        mae_init_(self)

    def forward(self, inputs: torch.Tensor, visible: torch.Tensor = None):
        """Without ``visible``: the plain mmpretrain ViT forward (every token,
        ``out_indices``/``out_type``), used by ``extract_feat``. With
        ``visible`` (B, n) indices: the masked forward, an
        :class:`EncoderOutput` for ``feature_blocks``."""
        if visible is None:
            return super(MAEViT, self).forward(inputs)
        return self.forward_tokens(inputs, visible, self.feature_blocks)
