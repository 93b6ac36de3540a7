"""Adapt foreign ViT checkpoints to an amd_mm backbone at load time (in the
spirit of timm's ``checkpoint_filter_fn``), then load them strictly."""
import argparse
import contextlib
import re
from typing import Dict, Optional, Pattern, Sequence, Tuple

import torch
from mmengine.runner.checkpoint import CheckpointLoader

# Keys of official MAE / VideoMAE releases that belong to their pre-training
# decoder or classifier, never to the encoder a teacher needs.
_FOREIGN_NON_ENCODER = re.compile(
    r'^(decoder|decoder_\w+|mask_token|encoder_to_decoder|head|fc_norm)(\.|$)')

# official MAE (timm) names -> mmpretrain VisionTransformer names
_TIMM_TO_MMPRETRAIN = [
    (r'^patch_embed\.proj\.', 'patch_embed.projection.'),
    (r'^blocks\.(\d+)\.norm1\.', r'layers.\1.ln1.'),
    (r'^blocks\.(\d+)\.norm2\.', r'layers.\1.ln2.'),
    (r'^blocks\.(\d+)\.mlp\.fc1\.', r'layers.\1.ffn.layers.0.0.'),
    (r'^blocks\.(\d+)\.mlp\.fc2\.', r'layers.\1.ffn.layers.1.'),
    (r'^blocks\.(\d+)\.attn\.', r'layers.\1.attn.'),
    (r'^norm\.', 'ln1.'),
]

# official VideoMAE names -> MMAction2 VisionTransformer (vit_mae.py) names;
# attention (qkv, q_bias, v_bias, proj) and norm1/norm2 are named alike
_VIDEOMAE_TO_MMACTION = [
    (r'^patch_embed\.proj\.', 'patch_embed.projection.'),
    (r'^blocks\.(\d+)\.mlp\.fc1\.', r'blocks.\1.mlp.layers.0.0.'),
    (r'^blocks\.(\d+)\.mlp\.fc2\.', r'blocks.\1.mlp.layers.1.'),
]
# VideoMAE's final norm is ``norm`` (pre-training) or ``fc_norm`` (fine-tune):
# both are encoder weights; only the decoder and classifier are foreign
_VIDEOMAE_NON_ENCODER = re.compile(
    r'^(decoder|decoder_\w+|mask_token|encoder_to_decoder|head|cls_head)(\.|$)')


def unwrap_state_dict(checkpoint: dict) -> Dict[str, torch.Tensor]:
    """The weights of an MMEngine (``state_dict``), official MAE (``model``)
    or DeepSpeed/VideoMAE (``module``) checkpoint, or a bare state dict."""
    for key in ('state_dict', 'model', 'module'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def strip_prefix(state_dict, prefixes=('backbone.', 'encoder.', 'module.')):
    """Keep the encoder's keys without their wrapper prefix. When any key has
    one of ``prefixes``, keys without it (decoder, neck, head) are dropped."""
    for prefix in prefixes:
        if any(k.startswith(prefix) for k in state_dict):
            return {k[len(prefix):]: v for k, v in state_dict.items()
                    if k.startswith(prefix)}
    return dict(state_dict)


def rename_keys(state_dict: Dict[str, torch.Tensor], table: Sequence[Tuple[str, str]],
                drop: Optional[Pattern] = None) -> Dict[str, torch.Tensor]:
    """Apply every ``(pattern, replacement)`` of ``table`` to each key in
    turn, leaving out the keys ``drop`` matches."""
    out = {}
    for key, value in state_dict.items():
        if drop is not None and drop.match(key):
            continue
        for pattern, replacement in table:
            key = re.sub(pattern, replacement, key)
        out[key] = value
    return out


def timm_vit_to_mmpretrain(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Rename official-MAE (timm) ViT keys to mmpretrain ``VisionTransformer``
    keys; keys already in mmpretrain form pass through."""
    return rename_keys(state_dict, _TIMM_TO_MMPRETRAIN, _FOREIGN_NON_ENCODER)


def videomae_to_mmaction(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Rename official VideoMAE (v1/v2) encoder keys to MMAction2
    ``VisionTransformer`` keys, dropping decoder and classifier keys; keys
    already in MMAction2 form pass through."""
    return rename_keys(state_dict, _VIDEOMAE_TO_MMACTION, _VIDEOMAE_NON_ENCODER)


def add_fixed_positions(state_dict, model):
    """Official VideoMAE never saves its fixed sinusoid table; take the one
    the model computed from its config (the same formula). Only for a
    ``pos_embed`` *buffer*: learned positions must come from the file."""
    buffers = dict(model.named_buffers())
    if 'pos_embed' in buffers and 'pos_embed' not in state_dict:
        state_dict = dict(state_dict, pos_embed=buffers['pos_embed'].clone())
    return state_dict


def match_final_norm(state_dict, model_keys):
    """The final norm is ``ln1`` in mmpretrain's pre-training ViT and ``ln2``
    in its fine-tune layout (``norm`` / ``fc_norm`` in VideoMAE's); store it
    where the target model has it."""
    for src, dst in (('ln1.', 'ln2.'), ('ln2.', 'ln1.'),
                     ('norm.', 'fc_norm.'), ('fc_norm.', 'norm.')):
        if (not any(k.startswith(dst) for k in state_dict)
                and any(k.startswith(src) for k in state_dict)
                and not any(k.startswith(src) for k in model_keys)
                and any(k.startswith(dst) for k in model_keys)):
            return {(dst + k[len(src):] if k.startswith(src) else k): v
                    for k, v in state_dict.items()}
    return state_dict


class TeacherCheckpointError(RuntimeError):
    """A teacher checkpoint does not fit its model (never left random)."""


def load_strict(model: torch.nn.Module, state_dict, source: str):
    """``load_state_dict(strict=True)`` with one error that lists every
    missing and unexpected key and every shape mismatch."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    shapes = sorted(f'{k}: checkpoint {tuple(state_dict[k].shape)} vs model '
                    f'{tuple(own[k].shape)}' for k in set(own) & set(state_dict)
                    if state_dict[k].shape != own[k].shape)
    if missing or unexpected or shapes:
        raise TeacherCheckpointError(
            f'teacher checkpoint {source!r} does not match the teacher model '
            f'({type(model).__name__}):\n  missing keys ({len(missing)}): '
            f'{missing}\n  unexpected keys ({len(unexpected)}): {unexpected}\n'
            f'  shape mismatches ({len(shapes)}): {shapes}')
    model.load_state_dict(state_dict, strict=True)


def load_checkpoint_file(path: str) -> dict:
    """A checkpoint on CPU: MMEngine's, or an official release, which also
    pickles its argparse ``args`` (refused by torch's weights-only loader)."""
    allow = (torch.serialization.safe_globals([argparse.Namespace])
             if hasattr(torch.serialization, 'safe_globals') else contextlib.nullcontext())
    with allow:
        return CheckpointLoader.load_checkpoint(path, map_location='cpu')


def load_vit_checkpoint(model, path: str, converter=None):
    """Load an OpenMMLab-format or official-release checkpoint into an
    amd_mm ViT, strictly. ``converter`` maps the foreign key layout; by
    default the backbone's ``checkpoint_converter`` (official MAE -> mmpretrain
    when it has none)."""
    if converter is None:
        converter = getattr(type(model), 'checkpoint_converter', timm_vit_to_mmpretrain)
    checkpoint = load_checkpoint_file(path)
    state_dict = converter(strip_prefix(unwrap_state_dict(checkpoint)))
    state_dict = match_final_norm(state_dict, model.state_dict().keys())
    state_dict = add_fixed_positions(state_dict, model)
    load_strict(model, state_dict, path)
