from .mask_vis_hook import MaskReconstructionHook
from .rng_state_hook import TorchRNGStateHook
from .teacher_bootstrap_hook import TeacherBootstrapHook, restart_schedulers

__all__ = ['MaskReconstructionHook', 'TeacherBootstrapHook', 'TorchRNGStateHook', 'restart_schedulers']
