"""The student side of masked distillation: projections, generators and the
pixel decoder, from config."""
import copy
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleList

from ...registry import MODELS
from ..backbones.masked_encoder import EncoderOutput
from ..utils import TokenSplit
from ..utils.init import mae_init_


def build_projection(kind: str, in_dims: int, out_dims: int) -> nn.Module:
    """'linear' (AMD: no bias), 'linear_bias' (DMAE), 'mlp' (DMAE's
    ``mlp-1layer``: Linear-GELU-Linear) or 'identity'."""
    if kind == 'linear':
        return nn.Linear(in_dims, out_dims, bias=False)
    if kind == 'linear_bias':
        return nn.Linear(in_dims, out_dims)
    if kind == 'mlp':
        return nn.Sequential(nn.Linear(in_dims, out_dims), nn.GELU(),
                             nn.Linear(out_dims, out_dims))
    if kind == 'identity':
        if in_dims != out_dims:
            raise ValueError(f"neck.projection='identity' needs equal widths, "
                             f'got student {in_dims} vs teacher {out_dims}')
        return nn.Identity()
    raise ValueError(f"neck.projection must be 'linear', 'linear_bias', 'mlp' "
                     f"or 'identity', got {kind!r}")


@MODELS.register_module()
class DistillNeck(BaseModule):
    """Turns the student's encoder output into predictions of the targets.

    * ``direct``: per aligned layer l, a projection phi_l of the student's
      block feature to the teacher's width (compared with the teacher at the
      student-visible tokens).
    * ``gen``: per aligned layer, a generator G_l — a
      :class:`MaskedTokenDecoder` with its own registered mask token — fed
      ``phi_l(z_l)`` (AMD's serial alignment) or the student's final latent
      (``generator_input='latent'``, dBOT's decoder), predicting the teacher's
      features at the diff tokens.
    * ``pixel``: MAE's pixel decoder at the student-masked tokens.

    Any part can be absent: plain MAE has only the decoder, DMAE only the
    projection (plus decoder), dBOT only a latent-fed generator.

    Args:
        student_dims (int): student width.
        teacher_dims (int, optional): teacher width (needed by ``projection``
            and ``generator``).
        num_layers (int): aligned (student block, teacher block) pairs; one
            projection each.
        projection (str): see :func:`build_projection`.
        generator (dict, optional): ``MaskedTokenDecoder`` arguments (depth,
            num_heads, ...) for each generator; ``in_dims``/``embed_dims``
            default to the teacher width.
        generator_input (str): 'projected' (AMD) or 'latent' (dBOT).
        decoder (dict, optional): ``MaskedTokenDecoder`` arguments of the
            pixel decoder (``out_dims`` = values per patch).
        grid (Sequence[int]): token layout, (H, W) or (T, H, W).
        num_prefix (int): prefix (CLS) tokens of the student.
    """

    def __init__(self,
                 student_dims: int,
                 grid: Sequence[int],
                 teacher_dims: Optional[int] = None,
                 num_layers: int = 0,
                 projection: str = 'linear',
                 generator: Optional[dict] = None,
                 generator_input: str = 'projected',
                 decoder: Optional[dict] = None,
                 num_prefix: int = 1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if (num_layers or generator) and not teacher_dims:
            raise ValueError('neck.teacher_dims is required when the neck has '
                             'projections or generators')
        if generator_input not in ('projected', 'latent'):
            raise ValueError("neck.generator_input must be 'projected' or "
                             f"'latent', got {generator_input!r}")
        if generator and generator_input == 'projected' and not num_layers:
            raise ValueError("neck.generator_input='projected' needs "
                             'neck.num_layers >= 1 projections to feed it')
        self.num_layers = num_layers
        self.generator_input = generator_input
        self.projections = ModuleList(
            build_projection(projection, student_dims, teacher_dims)
            for _ in range(num_layers))

        self.generators = ModuleList()  # mmengine ModuleList: init_weights recurses
        if generator:
            num_generators = num_layers if generator_input == 'projected' else 1
            in_dims = teacher_dims if generator_input == 'projected' else student_dims
            for _ in range(num_generators):
                cfg = dict(type='MaskedTokenDecoder', in_dims=in_dims,
                           embed_dims=teacher_dims, grid=grid,
                           num_prefix=num_prefix, final_norm=False)
                cfg.update(copy.deepcopy(generator))
                self.generators.append(MODELS.build(cfg))

        self.decoder = None
        if decoder:
            cfg = dict(type='MaskedTokenDecoder', in_dims=student_dims,
                       grid=grid, num_prefix=num_prefix)
            cfg.update(copy.deepcopy(decoder))
            self.decoder = MODELS.build(cfg)

    def init_weights(self):
        super().init_weights()
        mae_init_(self.projections)

    def forward(self, student: EncoderOutput,
                tokens: TokenSplit) -> Dict[str, object]:
        """Returns a dict with ``direct`` (list of (B, P + n_vis, C_t)),
        ``gen`` (list of (B, [P +] n_diff, C_t)) and ``pixel``
        ((B, N - n_vis, values per patch) or None)."""
        if len(student.features) != self.num_layers:
            raise ValueError(
                f'the student returned {len(student.features)} block features '
                f'but neck.num_layers={self.num_layers}: make '
                f'backbone.feature_blocks and neck.num_layers agree')
        direct: List[torch.Tensor] = [
            proj(feature) for proj, feature in zip(self.projections, student.features)]
        gen_inputs = direct if self.generator_input == 'projected' else [student.latent]
        gen = [generator(x, tokens.student_visible, tokens.diff)
               for generator, x in zip(self.generators, gen_inputs)]
        pixel = None
        if self.decoder is not None:
            pixel = self.decoder(student.latent, tokens.student_visible,
                                 tokens.student_masked)
        return dict(direct=direct, gen=gen, pixel=pixel)
