from .checkpoint_filters import (TeacherCheckpointError, load_vit_checkpoint,
                                 timm_vit_to_mmpretrain, videomae_to_mmaction)
from .frozen_teacher import FrozenTeacher

__all__ = ['FrozenTeacher', 'TeacherCheckpointError', 'load_vit_checkpoint',
           'timm_vit_to_mmpretrain', 'videomae_to_mmaction']
