"""The ViT key layouts amd_mm reads and writes, and the renames between them.

* ``mmpretrain``: ``layers.N.ln1``, ``layers.N.ffn.layers.0.0``, final norm
  ``ln1``/``ln2`` (amd_mm's image student ``MaskedViT``);
* ``mmaction2``: ``blocks.N.norm1``, ``blocks.N.mlp.layers.0.0``,
  ``q_bias``/``v_bias``, Conv3d ``patch_embed.projection``, final norm
  ``fc_norm``/``norm`` (amd_mm's video student ``MaskedVideoViT``);
* ``timm``: ``patch_embed.proj``, ``blocks.N.mlp.fc1``, final ``norm``
  (official MAE, DMAE, dBOT, VideoMAE and AMD releases; ViTDet).

Every rename amd_mm applies (teacher loading, imports, exports, ViTDet) is a
table for :func:`rename_keys`; the final norm is moved by
:func:`move_final_norm` alone.
"""
import re
from typing import Dict, Iterable, List, Optional, Pattern, Sequence, Tuple

import torch

StateDict = Dict[str, torch.Tensor]

# the encoder part of an official (timm-named) release; decoders, mask
# tokens, distillation projections and classifiers are left behind
OFFICIAL_ENCODER = re.compile(
    r'^(cls_token|pos_embed|patch_embed\.|blocks\.\d+\.|norm\.|fc_norm\.)')

# Keys of official MAE / VideoMAE releases that belong to their pre-training
# decoder or classifier, never to an encoder.
_MAE_NON_ENCODER = re.compile(
    r'^(decoder|decoder_\w+|mask_token|encoder_to_decoder|head|fc_norm)(\.|$)')
# VideoMAE's final norm is ``norm`` (pre-training) or ``fc_norm`` (fine-tune):
# both are encoder weights; only the decoder and classifier are foreign
_VIDEOMAE_NON_ENCODER = re.compile(
    r'^(decoder|decoder_\w+|mask_token|encoder_to_decoder|head|cls_head)(\.|$)')

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
_MMPRETRAIN_TO_TIMM = [
    (r'^patch_embed\.projection\.', 'patch_embed.proj.'),
    (r'^layers\.(\d+)\.ln1\.', r'blocks.\1.norm1.'),
    (r'^layers\.(\d+)\.ln2\.', r'blocks.\1.norm2.'),
    (r'^layers\.(\d+)\.ffn\.layers\.0\.0\.', r'blocks.\1.mlp.fc1.'),
    (r'^layers\.(\d+)\.ffn\.layers\.1\.', r'blocks.\1.mlp.fc2.'),
    (r'^layers\.(\d+)\.attn\.', r'blocks.\1.attn.'),
    (r'^ln[12]\.', 'norm.'),
]
# official VideoMAE names -> MMAction2 VisionTransformer (vit_mae.py) names;
# attention (qkv, q_bias, v_bias, proj) and norm1/norm2 are named alike
_VIDEOMAE_TO_MMACTION = [
    (r'^patch_embed\.proj\.', 'patch_embed.projection.'),
    (r'^blocks\.(\d+)\.mlp\.fc1\.', r'blocks.\1.mlp.layers.0.0.'),
    (r'^blocks\.(\d+)\.mlp\.fc2\.', r'blocks.\1.mlp.layers.1.'),
]
# the slots a ViT's final norm may sit in, per layout
FINAL_NORM_SLOTS = (('ln1', 'ln2'), ('norm', 'fc_norm'))

__all__ = ['FINAL_NORM_SLOTS', 'OFFICIAL_ENCODER', 'StateDict', 'add_fixed_positions',
           'backbone_of', 'layout_of', 'mmpretrain_to_timm', 'move_final_norm',
           'official_encoder', 'rename_keys', 'strip_prefix', 'timm_vit_to_mmpretrain',
           'unwrap_state_dict', 'videomae_to_mmaction']


def unwrap_state_dict(checkpoint: dict) -> StateDict:
    """The weights of an MMEngine (``state_dict``), official MAE (``model``)
    or DeepSpeed/VideoMAE (``module``) checkpoint, or a bare state dict."""
    for key in ('state_dict', 'model', 'module'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def strip_prefix(state_dict: StateDict,
                 prefixes: Sequence[str] = ('backbone.', 'encoder.', 'module.')) -> StateDict:
    """Keep the encoder's keys without their wrapper prefix. When any key has
    one of ``prefixes`` (tried in turn), keys without it (decoder, neck, head)
    are dropped."""
    for prefix in prefixes:
        if any(k.startswith(prefix) for k in state_dict):
            return {k[len(prefix):]: v for k, v in state_dict.items()
                    if k.startswith(prefix)}
    return dict(state_dict)


def rename_keys(state_dict: StateDict, table: Sequence[Tuple[str, str]],
                drop: Optional[Pattern] = None) -> StateDict:
    """The one key filter: apply every ``(pattern, replacement)`` of
    ``table`` to each key in turn, leaving out the keys ``drop`` matches."""
    out = {}
    for key, value in state_dict.items():
        if drop is not None and drop.match(key):
            continue
        for pattern, replacement in table:
            key = re.sub(pattern, replacement, key)
        out[key] = value
    return out


def timm_vit_to_mmpretrain(state_dict: StateDict) -> StateDict:
    """Official-MAE (timm) ViT keys -> mmpretrain ``VisionTransformer`` keys,
    decoder and classifier dropped; mmpretrain keys pass through."""
    return rename_keys(state_dict, _TIMM_TO_MMPRETRAIN, _MAE_NON_ENCODER)


def videomae_to_mmaction(state_dict: StateDict) -> StateDict:
    """Official VideoMAE (v1/v2) encoder keys -> MMAction2
    ``VisionTransformer`` keys, decoder and classifier dropped; MMAction2 keys
    pass through."""
    return rename_keys(state_dict, _VIDEOMAE_TO_MMACTION, _VIDEOMAE_NON_ENCODER)


def add_fixed_positions(state_dict: StateDict, model: torch.nn.Module) -> StateDict:
    """Official VideoMAE never saves its fixed sinusoid table; take the one
    the model computed from its config (the same formula). Only for a
    ``pos_embed`` *buffer*: learned positions must come from the file."""
    buffers = dict(model.named_buffers())
    if 'pos_embed' in buffers and 'pos_embed' not in state_dict:
        state_dict = dict(state_dict, pos_embed=buffers['pos_embed'].clone())
    return state_dict


def layout_of(state_dict: StateDict) -> str:
    """``'mmpretrain'``, ``'mmaction2'`` or ``'timm'``, from the key names."""
    keys = list(state_dict)
    if any(k.startswith('layers.') for k in keys):
        return 'mmpretrain'
    if any('.mlp.layers.' in k for k in keys):
        return 'mmaction2'
    if any('.mlp.fc1.' in k or k.startswith('patch_embed.proj.') for k in keys):
        return 'timm'
    raise ValueError('cannot tell the ViT key layout of a state dict whose '
                     f'keys start {keys[:5]}')


def backbone_of(checkpoint: dict, prefix: str = 'backbone.') -> StateDict:
    """The ``prefix`` weights of an MMEngine checkpoint, prefix removed
    (the student of an amd_mm checkpoint; teacher, neck and head dropped).

    Raises:
        KeyError: no key has the prefix (e.g. an official release, which the
            ``from_official_*`` importers read instead).
    """
    state_dict = unwrap_state_dict(checkpoint)
    backbone = {k[len(prefix):]: v for k, v in state_dict.items()
                if k.startswith(prefix)}
    if not backbone:
        raise KeyError(f'no `{prefix}*` weights in the checkpoint (its keys '
                       f'start {list(state_dict)[:5]}); for an official '
                       'release use --from-official')
    return backbone


def official_encoder(checkpoint: dict) -> StateDict:
    """The encoder keys of an official release, whatever wraps them
    (``model``/``module``, ``encoder.``/``backbone.`` prefixes)."""
    state_dict = strip_prefix(unwrap_state_dict(checkpoint))
    return {k: v for k, v in state_dict.items() if OFFICIAL_ENCODER.match(k)}


def mmpretrain_to_timm(state_dict: StateDict) -> StateDict:
    """mmpretrain ``VisionTransformer`` keys -> timm/official-MAE keys
    (mmselfsup's ``mmcls2timm``); the final norm becomes ``norm``."""
    return rename_keys(state_dict, _MMPRETRAIN_TO_TIMM)


def final_norm_slot(keys: Iterable[str]) -> Optional[str]:
    """The top-level slot (``ln1``, ``ln2``, ``norm`` or ``fc_norm``) that
    holds the final norm among ``keys`` (None when there is not exactly one)."""
    keys = set(keys)
    for slots in FINAL_NORM_SLOTS:
        present = [s for s in slots if f'{s}.weight' in keys]
        if len(present) == 1:
            return present[0]
    return None


def move_final_norm(state_dict: StateDict, target: Optional[str],
                    slots: Optional[List[str]] = None) -> StateDict:
    """The one final-norm mover: store the final norm under ``target``
    (``ln1``/``ln2`` in mmpretrain's ViT, ``norm``/``fc_norm`` in VideoMAE's),
    wherever among ``slots`` (default: ``target``'s pair) it sits. Nothing is
    moved when ``target`` is None, already filled, or the source is
    ambiguous (left to the strict check).

    Example:
        >>> import torch
        >>> sorted(move_final_norm({'ln1.weight': torch.ones(2)}, 'ln2'))
        ['ln2.weight']
    """
    if target is None:
        return dict(state_dict)
    if slots is None:
        slots = next((list(pair) for pair in FINAL_NORM_SLOTS if target in pair), [target])
    present = [s for s in slots if f'{s}.weight' in state_dict]
    if len(present) != 1 or present[0] == target:
        return dict(state_dict)
    source = present[0] + '.'
    return {(target + '.' + k[len(source):] if k.startswith(source) else k): v
            for k, v in state_dict.items()}
