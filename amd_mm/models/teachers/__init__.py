from ...converters import (TeacherCheckpointError, load_vit_checkpoint,
                           timm_vit_to_mmpretrain, videomae_to_mmaction)
from .base import BaseTeacher, TeacherFeatures
from .frozen_teacher import FrozenTeacher
from .hf_teacher import HFTeacher
from .input_transform import TeacherInputTransform
from .timm_teacher import TimmTeacher

__all__ = ['BaseTeacher', 'FrozenTeacher', 'HFTeacher', 'TeacherCheckpointError',
           'TeacherFeatures', 'TeacherInputTransform', 'TimmTeacher', 'load_vit_checkpoint',
           'timm_vit_to_mmpretrain', 'videomae_to_mmaction']
