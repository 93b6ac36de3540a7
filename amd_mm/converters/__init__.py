"""Checkpoint conversion between amd_mm, the OpenMMLab downstream packages
and the official releases, in the spirit of timm's ``checkpoint_filter_fn``:
one function per target, each checking that no backbone weight is lost.

``tools/convert_checkpoint.py`` is the command-line front end.
"""
from .checks import IncompleteCheckpointError, check_complete
from .export import to_mmaction2, to_mmpretrain, to_mmseg, to_timm
from .io import load_checkpoint, save_checkpoint
from .keys import backbone_of, layout_of, mmpretrain_to_timm, move_final_norm
from .official import (FROM_OFFICIAL, from_official_amd, from_official_dbot,
                       from_official_dmae, from_official_mae,
                       from_official_videomae)

TO = dict(mmpretrain=to_mmpretrain, mmaction2=to_mmaction2, timm=to_timm, mmseg=to_mmseg)

__all__ = ['FROM_OFFICIAL', 'IncompleteCheckpointError', 'TO', 'backbone_of',
           'check_complete', 'from_official_amd', 'from_official_dbot',
           'from_official_dmae', 'from_official_mae', 'from_official_videomae',
           'layout_of', 'load_checkpoint', 'mmpretrain_to_timm',
           'move_final_norm', 'save_checkpoint', 'to_mmaction2',
           'to_mmpretrain', 'to_mmseg', 'to_timm']
