"""One transformer that predicts something at token positions it did not see:
the MAE pixel decoder, AMD's feature generator and dBOT's feature decoder."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones.vision_transformer import TransformerEncoderLayer

from ...registry import MODELS
from ..utils import gather_tokens, sincos_table
from ..utils.init import mae_init_
from ..utils.ranges import check_transformer


@MODELS.register_module()
class MaskedTokenDecoder(BaseModule):
    """Transformer over ``[prefix, visible tokens, queries]`` where each query
    is the learned mask token plus the fixed position of a token to predict.

    Giving the queries explicitly covers every use in the family:
    MAE's pixel decoder (queries = all student-masked tokens, so the sequence
    is the whole image as in MAE), AMD's generator (queries = the diff tokens
    only) and dBOT's decoder (queries = the masked tokens, CLS predicted too).
    Blocks are mmpretrain's ``TransformerEncoderLayer`` (fused attention).

    Args:
        in_dims (int): width of the incoming visible tokens.
        embed_dims (int): width of the blocks. An input projection
            ``decoder_embed`` exists only when it differs from ``in_dims`` or
            ``input_proj=True``.
        input_proj_bias (bool): whether ``decoder_embed`` has a bias (MAE's
            has one; VideoMAE's and AMD's ``encoder_to_decoder`` has none).
        depth (int): number of blocks.
        num_heads (int): attention heads.
        grid (Sequence[int]): token layout, (H, W) or (T, H, W).
        num_prefix (int): prefix tokens (CLS) leading the visible tokens.
        out_dims (int, optional): if set, a final ``Linear(embed_dims,
            out_dims)`` (``decoder_pred``).
        final_norm (bool): LayerNorm before the prediction.
        predict_prefix (bool): also return the outputs at the prefix tokens.
        mlp_ratio (float): FFN width ratio.
        drop_path_rate (float): stochastic depth, rising linearly over blocks
            (dBOT applies it to its decoder too).

    Example:
        >>> import torch
        >>> from amd_mm.models import MaskedTokenDecoder
        >>> dec = MaskedTokenDecoder(in_dims=32, embed_dims=16, depth=1,
        ...                          num_heads=2, grid=(4, 4), num_prefix=1,
        ...                          out_dims=48)
        >>> visible = torch.tensor([[0, 5, 10, 15]])
        >>> queries = torch.tensor([[1, 2, 3]])
        >>> dec(torch.rand(1, 5, 32), visible, queries).shape
        torch.Size([1, 3, 48])
    """

    def __init__(self,
                 in_dims: int,
                 embed_dims: int,
                 depth: int,
                 num_heads: int,
                 grid: Sequence[int],
                 num_prefix: int = 0,
                 out_dims: Optional[int] = None,
                 final_norm: bool = True,
                 predict_prefix: bool = False,
                 input_proj: Optional[bool] = None,
                 input_proj_bias: bool = True,
                 mlp_ratio: float = 4.,
                 drop_path_rate: float = 0.,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        # depth 0 would predict from the query positions alone, never
        # reading a visible token: refused rather than trained
        check_transformer('MaskedTokenDecoder', embed_dims, num_heads, drop_path_rate, depth)
        self.num_prefix = num_prefix
        self.predict_prefix = predict_prefix
        if input_proj is None:
            input_proj = in_dims != embed_dims
        self.decoder_embed = (nn.Linear(in_dims, embed_dims, bias=input_proj_bias)
                              if input_proj else nn.Identity())
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        # fixed (not learned) positions, as MAE/AMD; saved with the model
        self.register_buffer('decoder_pos_embed',
                             sincos_table(grid, embed_dims, num_prefix))
        self.decoder_blocks = nn.ModuleList([
            TransformerEncoderLayer(embed_dims, num_heads,
                                    int(mlp_ratio * embed_dims), qkv_bias=True,
                                    drop_path_rate=rate, norm_cfg=norm_cfg)
            for rate in torch.linspace(0, drop_path_rate, depth).tolist()
        ])
        self.decoder_norm = (build_norm_layer(norm_cfg, embed_dims)[1]
                             if final_norm else nn.Identity())
        self.decoder_pred = (nn.Linear(embed_dims, out_dims)
                             if out_dims else nn.Identity())

    def init_weights(self):
        super().init_weights()
        trunc_normal_(self.mask_token, std=0.02)
        mae_init_(self)

    def forward(self, tokens: torch.Tensor, visible: torch.Tensor,
                queries: torch.Tensor) -> torch.Tensor:
        """Predict at ``queries``.

        Args:
            tokens (Tensor): (B, P + n_vis, in_dims), prefix then visible.
            visible (Tensor): (B, n_vis) positions of the visible tokens.
            queries (Tensor): (B, n_q) positions to predict.

        Returns:
            Tensor: (B, [P +] n_q, out_dims), prefix outputs first when
            ``predict_prefix``.
        """
        P = self.num_prefix
        x = self.decoder_embed(tokens)
        batch = x.shape[0]
        pos = self.decoder_pos_embed.expand(batch, -1, -1)
        patch_pos = pos[:, P:]
        query_tokens = self.mask_token + gather_tokens(patch_pos, queries)
        x = torch.cat([x[:, :P] + pos[:, :P],
                       x[:, P:] + gather_tokens(patch_pos, visible),
                       query_tokens], dim=1)
        for block in self.decoder_blocks:
            x = block(x)
        x = self.decoder_pred(self.decoder_norm(x))
        out = x[:, -queries.shape[1]:] if queries.shape[1] else x[:, :0]
        if self.predict_prefix and P:
            out = torch.cat([x[:, :P], out], dim=1)
        return out
