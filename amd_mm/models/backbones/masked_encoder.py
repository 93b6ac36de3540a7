"""The masked token encoder shared by every ViT in amd_mm (image or video,
student or teacher): embed -> keep the given tokens -> blocks, collecting the
outputs of the requested blocks, optionally stopping after the deepest one."""
import numbers
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.utils.checkpoint as cp

from ..utils import gather_tokens


class EncoderOutput(NamedTuple):
    """``latent``: final-normed tokens (None when the encoder stopped early);
    ``features``: one (B, n, C) tensor per requested block, in request order."""
    latent: Optional[torch.Tensor]
    features: List[torch.Tensor]


class TokenGeometry(NamedTuple):
    """The token layout of a ViT: the one source every other part (mask
    transform, neck, head, teacher, batches) is checked against.

    ``grid``: tokens per axis, (H, W) for images or (T, H, W) for video;
    ``patch_size``/``tubelet_size``: pixels / frames per token;
    ``input_size``: the input it was built for, (H, W) or (T, H, W);
    ``num_prefix``: CLS tokens; ``in_channels``: input channels.
    """
    grid: Tuple[int, ...]
    patch_size: int
    tubelet_size: int
    input_size: Tuple[int, ...]
    num_prefix: int
    in_channels: int

    @property
    def num_tokens(self) -> int:
        n = 1
        for s in self.grid:
            n *= s
        return n

    @property
    def values_per_token(self) -> int:
        """Pixel values a token covers (a pixel decoder's ``out_dims``)."""
        return self.tubelet_size * self.patch_size ** 2 * self.in_channels

    def describe(self, field: str = 'backbone') -> str:
        size = 'x'.join(str(s) for s in self.input_size)
        tube = f', {field}.tubelet_size={self.tubelet_size}' if len(self.grid) == 3 else ''
        return (f'token grid {self.grid} = {self.num_tokens} tokens (input {size}, '
                f'{field}.patch_size={self.patch_size}{tube})')


def check_block_list(blocks, field: str) -> Tuple[int, ...]:
    """``blocks`` as a tuple of ints, or a TypeError/ValueError naming
    ``field`` (an int, a string, a float or a repeated block)."""
    if isinstance(blocks, (str, bytes)) or not isinstance(blocks, Sequence):
        raise TypeError(f'`{field}` must be a list/tuple of block numbers, e.g. (2, 4), '
                        f'got {blocks!r} ({type(blocks).__name__})')
    for block in blocks:
        if isinstance(block, bool) or not isinstance(block, numbers.Integral):
            raise TypeError(f'`{field}` must hold int block numbers, got {block!r} '
                            f'({type(block).__name__}) in {list(blocks)}')
    if len(set(blocks)) != len(blocks):
        raise ValueError(f'`{field}`={list(blocks)} repeats a block: each aligned '
                         'block must be listed once')
    return tuple(int(b) for b in blocks)


class MaskedEncoderMixin:
    """Token-subset forward for a ViT backbone.

    A class using it provides the layout-specific pieces: ``_patch_tokens``
    (patch embedding + position, (B, N, C), no prefix), ``_prefix_tokens``
    (the CLS token with its position, or None), ``_blocks`` and
    ``_final_norm``. Block numbers are **1-indexed as in the papers**: block
    ``k`` is the output of the k-th transformer block before any final norm,
    and block 0 is the embedded input (dBOT's 0-block teacher).
    """

    with_cp: bool = False

    @property
    def num_prefix_tokens(self) -> int:
        """Tokens before the patch tokens in every output (CLS: 1 or 0)."""
        prefix = self._prefix_tokens(1)
        return 0 if prefix is None else prefix.shape[1]

    def _pre_blocks(self, tokens: torch.Tensor) -> torch.Tensor:
        return tokens

    @property
    def geometry(self) -> TokenGeometry:
        """The token layout (:class:`TokenGeometry`) this ViT was built for."""
        raise NotImplementedError

    def check_feature_blocks(self, blocks: Sequence[int], field: str):
        blocks = check_block_list(blocks, field)
        depth = len(self._blocks)
        for block in blocks:
            if not 0 <= int(block) <= depth:
                raise ValueError(
                    f'`{field}` must hold 1-indexed block numbers in '
                    f'[0, {depth}] for this {depth}-block ViT, got {block} '
                    f'in {list(blocks)}')
        return tuple(int(b) for b in blocks)

    def forward_tokens(self,
                       inputs: torch.Tensor,
                       visible: Optional[torch.Tensor] = None,
                       feature_blocks: Sequence[int] = (),
                       stop_early: bool = False) -> EncoderOutput:
        """Encode the tokens ``visible`` (B, n) of ``inputs`` (all if None).

        With ``stop_early`` the blocks after ``max(feature_blocks)`` are not
        run and ``latent`` is None.
        """
        tokens = self._patch_tokens(inputs)
        if visible is not None:
            tokens = gather_tokens(tokens, visible)
        prefix = self._prefix_tokens(tokens.shape[0])
        if prefix is not None:
            tokens = torch.cat([prefix, tokens], dim=1)
        tokens = self._pre_blocks(tokens)

        blocks = self._blocks
        depth = max(feature_blocks, default=0) if stop_early else len(blocks)
        collected = {0: tokens}
        for number, block in enumerate(blocks[:depth], start=1):
            if self.with_cp and tokens.requires_grad:
                tokens = cp.checkpoint(block, tokens, use_reentrant=False)
            else:
                tokens = block(tokens)
            collected[number] = tokens
        latent = self._final_norm(tokens) if depth == len(blocks) else None
        return EncoderOutput(latent, [collected[b] for b in feature_blocks])
