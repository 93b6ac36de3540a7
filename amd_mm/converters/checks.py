"""What a checkpoint must hold: the keys and shapes of the target ViT (read
off a reference model of the size the weights imply, or the model itself),
and the one check that refuses a misfit with the keys named."""
import math
import re
from typing import Dict, Optional, Tuple

import torch

from .keys import StateDict, mmpretrain_to_timm

Shapes = Dict[str, Tuple[int, ...]]
_BLOCK = re.compile(r'^(layers|blocks)\.(\d+)\.')


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the model or format it is loaded or
    converted into (missing, unexpected or wrongly shaped weights)."""


class CheckpointReadError(ValueError):
    """A checkpoint file that cannot be read at all (empty, truncated, text,
    not a torch checkpoint)."""


# the names the converters and the teacher used for it
IncompleteCheckpointError = TeacherCheckpointError = CheckpointMismatchError


def _first_shape(state_dict: StateDict, pattern: str, target: str) -> torch.Size:
    for key, value in state_dict.items():
        if re.fullmatch(pattern, key):
            return value.shape
    raise CheckpointMismatchError(
        f'{target}: cannot size the backbone, no key matches {pattern!r} '
        f'(missing keys: [{pattern!r}])')


def _depth(state_dict: StateDict) -> int:
    numbers = [int(m.group(2)) for m in map(_BLOCK.match, state_dict) if m]
    return max(numbers, default=-1) + 1


def _expand_blocks(reference: StateDict, depth: int) -> Shapes:
    """A one-block reference -> the key shapes of ``depth`` blocks."""
    shapes = {}
    for key, value in reference.items():
        match = _BLOCK.match(key)
        if match is None:
            shapes[key] = tuple(value.shape)
            continue
        for number in range(depth):
            shapes[f'{match.group(1)}.{number}.{key[match.end():]}'] = tuple(value.shape)
    return shapes


def mmpretrain_reference(state_dict: StateDict, final_norm: str = 'ln2',
                         depth: Optional[int] = None) -> Shapes:
    """Keys and shapes of mmpretrain's ``VisionTransformer`` sized like
    ``state_dict`` (the MAE fine-tune ViT for ``final_norm='ln2'``, the
    ``final_norm=True`` one for ``'ln1'``); ``depth`` defaults to the blocks
    the weights number."""
    from mmpretrain.models import VisionTransformer
    target = 'mmpretrain VisionTransformer'
    dims, in_channels, patch, _ = _first_shape(
        state_dict, r'patch_embed\.projection\.weight', target)
    ffn = _first_shape(state_dict, r'layers\.\d+\.ffn\.layers\.0\.0\.weight', target)[0]
    with_cls = 'cls_token' in state_dict
    tokens = _first_shape(state_dict, r'pos_embed', target)[1] - int(with_cls)
    grid = math.isqrt(tokens)
    reference = VisionTransformer(
        arch=dict(embed_dims=dims, num_layers=1, num_heads=1, feedforward_channels=ffn),
        img_size=grid * patch, patch_size=patch, in_channels=in_channels,
        qkv_bias=any(k.endswith('attn.qkv.bias') for k in state_dict),
        with_cls_token=with_cls, final_norm=final_norm == 'ln1',
        out_type='cls_token' if final_norm == 'ln1' else 'avg_featmap')
    return _expand_blocks(reference.state_dict(), depth or _depth(state_dict))


def timm_reference(state_dict: StateDict, depth: Optional[int] = None) -> Shapes:
    """Keys and shapes of an official-MAE/timm ViT encoder sized like the
    mmpretrain-layout ``state_dict`` (what ViTDet reads)."""
    shapes = mmpretrain_reference(state_dict, final_norm='ln1', depth=depth)
    return {k: shapes[old] for old, k in
            zip(shapes, mmpretrain_to_timm(dict.fromkeys(shapes)))}


def _frames_and_grid(tokens: int) -> Tuple[int, int]:
    """A (time, side) factorisation of a position table's length; the key
    shapes do not depend on which one."""
    for time in range(1, tokens + 1):
        side = math.isqrt(tokens // time)
        if tokens % time == 0 and side * side * time == tokens:
            return time, side
    return tokens, 1


def mmaction_reference(state_dict: StateDict, final_norm: str = 'fc_norm',
                       depth: Optional[int] = None) -> Shapes:
    """Keys and shapes of MMAction2's VideoMAE ``VisionTransformer`` sized
    like ``state_dict`` (``use_mean_pooling`` when ``final_norm='fc_norm'``,
    the AVA/feature-map form for ``'norm'``)."""
    from mmaction.models.backbones.vit_mae import VisionTransformer
    target = 'MMAction2 VisionTransformer'
    dims, in_channels, tubelet, patch, _ = _first_shape(
        state_dict, r'patch_embed\.projection\.weight', target)
    ffn = _first_shape(state_dict, r'blocks\.\d+\.mlp\.layers\.0\.0\.weight', target)[0]
    time, side = _frames_and_grid(_first_shape(state_dict, r'pos_embed', target)[1])
    reference = VisionTransformer(
        img_size=side * patch, patch_size=patch, in_channels=in_channels,
        embed_dims=dims, depth=1, num_heads=1, mlp_ratio=ffn / dims,
        qkv_bias=any(k.endswith('attn.q_bias') for k in state_dict),
        num_frames=time * tubelet, tubelet_size=tubelet,
        use_mean_pooling=final_norm == 'fc_norm')
    return _expand_blocks(reference.state_dict(), depth or _depth(state_dict))


def shapes_of(model: torch.nn.Module) -> Shapes:
    """The key shapes of a model's state dict (the reference of a strict
    load)."""
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def check_state_dict(state_dict: StateDict, reference: Shapes, target: str,
                     strict: bool = False) -> StateDict:
    """The one strict-load check: the entries of ``state_dict`` that
    ``reference`` names, with the shapes it gives.

    Args:
        state_dict (dict): the weights, already renamed.
        reference (dict): key -> shape the target needs.
        target (str): what the weights are for, named in the error.
        strict (bool): also refuse keys ``reference`` does not name (a
            teacher load); otherwise they are dropped (an export).

    Raises:
        CheckpointMismatchError: listing the missing keys, the unexpected
            (``strict``) or unused keys, and the shape mismatches.
    """
    missing = sorted(set(reference) - set(state_dict))
    extra = sorted(set(state_dict) - set(reference))
    shapes = sorted(f'{k}: checkpoint {tuple(state_dict[k].shape)} vs {reference[k]}'
                    for k in set(reference) & set(state_dict)
                    if tuple(state_dict[k].shape) != tuple(reference[k]))
    if missing or shapes or (strict and extra):
        raise CheckpointMismatchError(
            f'{target}: the checkpoint does not fit\n'
            f'  missing keys ({len(missing)}): {missing}\n'
            f'  {"unexpected" if strict else "unused source"} keys ({len(extra)}): '
            f'{extra}\n  shape mismatches ({len(shapes)}): {shapes}')
    return {k: state_dict[k] for k in reference}


def check_complete(state_dict: StateDict, reference: Shapes, target: str) -> StateDict:
    """:func:`check_state_dict` for a conversion into ``target``: every
    reference key present and shaped right; other keys are dropped."""
    return check_state_dict(state_dict, reference, f'refusing to write a {target} checkpoint')
