"""The student side of masked distillation: projections, generators and the
pixel decoder, from config."""
import copy
import warnings
from typing import List, NamedTuple, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleList

from ...registry import MODELS
from ..backbones.masked_encoder import EncoderOutput
from ..utils import TokenSplit
from ..utils.init import mae_init_


class TokenPrediction(NamedTuple):
    """A prediction of teacher features at some tokens.

    ``prefix``: (B, P, C) at the prefix (CLS) tokens, P = 0 when none is
    predicted; ``tokens``: (B, n, C) at the patch tokens it is made for.
    """
    prefix: torch.Tensor
    tokens: torch.Tensor


class NeckOutput(NamedTuple):
    """What :class:`DistillNeck` predicts, one field per loss term.

    ``direct``: per aligned layer l, phi_l(z_s^l) at the prefix and the
    student-visible tokens; ``gen``: per generator, G_l(...) at the diff tokens
    (and the prefix when it predicts it); ``pixel``: (B, N - n_vis, values per
    patch) at the student-masked tokens, or None without a pixel decoder.
    """
    direct: List[TokenPrediction]
    gen: List[TokenPrediction]
    pixel: Optional[torch.Tensor]


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


def build_part(cfg: dict, field: str) -> nn.Module:
    """Build a generator/decoder; a ValueError of its checks names ``field``."""
    try:
        return MODELS.build(cfg)
    except ValueError as error:
        raise ValueError(f'{field}: {error}') from error


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

    ``MaskedDistiller`` fills ``student_dims``, ``teacher_dims``, ``grid``,
    ``num_prefix`` and ``num_layer_pairs`` from the student backbone and the
    teacher, so configs leave them out.

    Args:
        student_dims (int): student width.
        teacher_dims (int, optional): teacher width (needed by ``projection``
            and ``generator``).
        num_layer_pairs (int, optional): aligned (student block, teacher
            block) pairs, one projection each (``len(backbone.feature_blocks)``).
        projection (str): see :func:`build_projection`.
        generator (dict, optional): ``MaskedTokenDecoder`` arguments (depth,
            num_heads, ...) for each generator; ``in_dims``/``embed_dims``
            default to the teacher width.
        generator_input (str): 'projected' (AMD) or 'latent' (dBOT).
        decoder (dict, optional): ``MaskedTokenDecoder`` arguments of the
            pixel decoder (``out_dims`` = values per patch).
        grid (Sequence[int]): token layout, (H, W) or (T, H, W).
        num_prefix (int): prefix (CLS) tokens of the student.
        num_layers (int, optional): alias of ``num_layer_pairs``.
    """

    def __init__(self,
                 student_dims: int,
                 grid: Sequence[int],
                 teacher_dims: Optional[int] = None,
                 num_layer_pairs: Optional[int] = None,
                 projection: str = 'linear',
                 generator: Optional[dict] = None,
                 generator_input: str = 'projected',
                 decoder: Optional[dict] = None,
                 num_prefix: int = 1,
                 num_layers: Optional[int] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if num_layers is not None:  # alias of num_layer_pairs
            warnings.warn('DistillNeck.num_layers: use num_layer_pairs', DeprecationWarning)
            if num_layer_pairs is not None and num_layer_pairs != num_layers:
                raise ValueError(f'neck.num_layers={num_layers} and '
                                 f'neck.num_layer_pairs={num_layer_pairs} disagree')
            num_layer_pairs = num_layers
        pairs = num_layer_pairs or 0
        if (pairs or generator) and not teacher_dims:
            raise ValueError('neck.teacher_dims is required when the neck has '
                             'projections or generators')
        if generator_input not in ('projected', 'latent'):
            raise ValueError("neck.generator_input must be 'projected' or "
                             f"'latent', got {generator_input!r}")
        if generator and generator_input == 'projected' and not pairs:
            raise ValueError("neck.generator_input='projected' needs "
                             'neck.num_layer_pairs >= 1 projections to feed it')
        self.num_layer_pairs = pairs
        self.num_prefix = num_prefix
        self.student_dims = student_dims
        self.teacher_dims = teacher_dims
        self.grid = tuple(int(s) for s in grid)
        self.generator_input = generator_input
        self.projections = ModuleList(
            build_projection(projection, student_dims, teacher_dims)
            for _ in range(pairs))

        self.generators = ModuleList()  # mmengine ModuleList: init_weights recurses
        if generator:
            num_generators = pairs if generator_input == 'projected' else 1
            in_dims = teacher_dims if generator_input == 'projected' else student_dims
            for _ in range(num_generators):
                cfg = dict(type='MaskedTokenDecoder', in_dims=in_dims,
                           embed_dims=teacher_dims, grid=grid,
                           num_prefix=num_prefix, final_norm=False)
                cfg.update(copy.deepcopy(generator))
                self.generators.append(build_part(cfg, 'neck.generator'))

        self.decoder = None
        if decoder:
            cfg = dict(type='MaskedTokenDecoder', in_dims=student_dims,
                       grid=grid, num_prefix=num_prefix)
            cfg.update(copy.deepcopy(decoder))
            self.decoder = build_part(cfg, 'neck.decoder')

    def init_weights(self):
        super().init_weights()
        mae_init_(self.projections)

    def forward(self, student: EncoderOutput, tokens: TokenSplit) -> NeckOutput:
        """Predictions of every target from the student's encoder output
        (block features of (B, P + n_vis, C_s) and the final latent)."""
        if len(student.features) != self.num_layer_pairs:
            raise ValueError(
                f'the student returned {len(student.features)} block features '
                f'but neck.num_layer_pairs={self.num_layer_pairs}: make '
                f'backbone.feature_blocks and neck.num_layer_pairs agree')
        P = self.num_prefix
        projected = [proj(feature) for proj, feature in zip(self.projections, student.features)]
        direct = [TokenPrediction(x[:, :P], x[:, P:]) for x in projected]
        gen_inputs = projected if self.generator_input == 'projected' else [student.latent]
        gen = []
        for generator, x in zip(self.generators, gen_inputs):
            out = generator(x, tokens.student_visible, tokens.diff)
            predicted_prefix = generator.num_prefix if generator.predict_prefix else 0
            gen.append(TokenPrediction(out[:, :predicted_prefix], out[:, predicted_prefix:]))
        pixel = None
        if self.decoder is not None:
            pixel = self.decoder(student.latent, tokens.student_visible, tokens.student_masked)
        return NeckOutput(direct, gen, pixel)
