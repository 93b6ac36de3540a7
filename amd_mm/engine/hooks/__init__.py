from .rng_state_hook import TorchRNGStateHook
from .teacher_bootstrap_hook import TeacherBootstrapHook, restart_schedulers

__all__ = ['TeacherBootstrapHook', 'TorchRNGStateHook', 'restart_schedulers']
