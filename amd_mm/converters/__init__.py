"""Every checkpoint conversion of amd_mm, in one place, in the spirit of timm's
``checkpoint_filter_fn``: loading a teacher strictly, importing official
releases, exporting a student to the downstream packages.

* :mod:`.keys`: the key layouts, the one key filter (:func:`rename_keys`) and
  the one final-norm mover (:func:`move_final_norm`);
* :mod:`.checks`: reference shapes and the one strict check
  (:func:`check_state_dict`) raising the one error
  (:class:`CheckpointMismatchError`);
* :mod:`.io`: the safe loader, the strict ViT load
  (:func:`load_vit_checkpoint`) and the writer;
* :mod:`.export` / :mod:`.official`: one function per target / release.

``tools/convert_checkpoint.py`` is the command-line front end.
"""
from .checks import (CheckpointMismatchError, CheckpointReadError, IncompleteCheckpointError,
                     TeacherCheckpointError, check_complete, check_state_dict)
from .export import TO, export_file, to_mmaction2, to_mmpretrain, to_mmseg, to_timm
from .io import (check_sha256, file_sha256, load_checkpoint, load_vit_checkpoint,
                 save_checkpoint)
from .keys import (backbone_of, final_norm_slot, layout_of, mmpretrain_to_timm,
                   move_final_norm, rename_keys, strip_prefix, timm_vit_to_mmpretrain,
                   unwrap_state_dict, videomae_to_mmaction)
from .official import (FROM_OFFICIAL, from_official_amd, from_official_dbot,
                       from_official_dmae, from_official_mae,
                       from_official_videomae)

__all__ = ['FROM_OFFICIAL', 'CheckpointMismatchError', 'CheckpointReadError', 'IncompleteCheckpointError',
           'TO', 'TeacherCheckpointError', 'backbone_of', 'check_complete',
           'check_sha256', 'check_state_dict', 'export_file', 'file_sha256',
           'final_norm_slot', 'from_official_amd',
           'from_official_dbot', 'from_official_dmae', 'from_official_mae',
           'from_official_videomae', 'layout_of', 'load_checkpoint',
           'load_vit_checkpoint', 'mmpretrain_to_timm', 'move_final_norm', 'rename_keys',
           'save_checkpoint', 'strip_prefix', 'timm_vit_to_mmpretrain', 'to_mmaction2',
           'to_mmpretrain', 'to_mmseg', 'to_timm', 'unwrap_state_dict',
           'videomae_to_mmaction']
