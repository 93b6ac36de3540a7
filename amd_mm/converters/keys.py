"""The ViT key layouts amd_mm reads and writes, and the renames between them.

* ``mmpretrain``: ``layers.N.ln1``, ``layers.N.ffn.layers.0.0``, final norm
  ``ln1``/``ln2`` (amd_mm's image student ``MaskedViT``);
* ``mmaction2``: ``blocks.N.norm1``, ``blocks.N.mlp.layers.0.0``,
  ``q_bias``/``v_bias``, Conv3d ``patch_embed.projection``, final norm
  ``fc_norm``/``norm`` (amd_mm's video student ``MaskedVideoViT``);
* ``timm``: ``patch_embed.proj``, ``blocks.N.mlp.fc1``, final ``norm``
  (official MAE, DMAE, dBOT, VideoMAE and AMD releases; ViTDet).

The official-to-OpenMMLab renames are the teacher's filters
(:mod:`amd_mm.models.teachers.checkpoint_filters`), reused here.
"""
import re
from typing import Dict, List

import torch

from ..models.teachers.checkpoint_filters import (rename_keys, strip_prefix,
                                                  timm_vit_to_mmpretrain,
                                                  unwrap_state_dict,
                                                  videomae_to_mmaction)

StateDict = Dict[str, torch.Tensor]

# the encoder part of an official (timm-named) release; decoders, mask
# tokens, distillation projections and classifiers are left behind
OFFICIAL_ENCODER = re.compile(
    r'^(cls_token|pos_embed|patch_embed\.|blocks\.\d+\.|norm\.|fc_norm\.)')

_MMPRETRAIN_TO_TIMM = [
    (r'^patch_embed\.projection\.', 'patch_embed.proj.'),
    (r'^layers\.(\d+)\.ln1\.', r'blocks.\1.norm1.'),
    (r'^layers\.(\d+)\.ln2\.', r'blocks.\1.norm2.'),
    (r'^layers\.(\d+)\.ffn\.layers\.0\.0\.', r'blocks.\1.mlp.fc1.'),
    (r'^layers\.(\d+)\.ffn\.layers\.1\.', r'blocks.\1.mlp.fc2.'),
    (r'^layers\.(\d+)\.attn\.', r'blocks.\1.attn.'),
    (r'^ln[12]\.', 'norm.'),
]

__all__ = ['OFFICIAL_ENCODER', 'StateDict', 'backbone_of', 'layout_of',
           'mmpretrain_to_timm', 'move_final_norm', 'official_encoder',
           'strip_prefix', 'timm_vit_to_mmpretrain', 'unwrap_state_dict',
           'videomae_to_mmaction']


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


def move_final_norm(state_dict: StateDict, slots: List[str], target: str) -> StateDict:
    """Store the final norm under ``target``, one of the top-level ``slots``
    (``['ln1', 'ln2']`` or ``['norm', 'fc_norm']``) it may sit in."""
    present = [s for s in slots if f'{s}.weight' in state_dict]
    if len(present) != 1 or present[0] == target:
        return dict(state_dict)  # nothing to move (or ambiguous: left to the check)
    source = present[0] + '.'
    return {(target + '.' + k[len(source):] if k.startswith(source) else k): v
            for k, v in state_dict.items()}
