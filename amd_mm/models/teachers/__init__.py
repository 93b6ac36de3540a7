from ...converters import (TeacherCheckpointError, load_vit_checkpoint,
                           timm_vit_to_mmpretrain, videomae_to_mmaction)
from .frozen_teacher import FrozenTeacher, TeacherFeatures

__all__ = ['FrozenTeacher', 'TeacherCheckpointError', 'TeacherFeatures',
           'load_vit_checkpoint', 'timm_vit_to_mmpretrain', 'videomae_to_mmaction']
