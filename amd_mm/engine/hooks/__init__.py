from .finite_loss_hook import FiniteLossHook
from .log_interval_hook import AutoLogIntervalHook
from .mask_vis_hook import MaskReconstructionHook
from .rng_state_hook import TorchRNGStateHook
from .run_summary_hook import RunSummaryHook
from .teacher_bootstrap_hook import TeacherBootstrapHook, restart_schedulers

__all__ = ['AutoLogIntervalHook', 'FiniteLossHook', 'MaskReconstructionHook', 'RunSummaryHook',
           'TeacherBootstrapHook', 'TorchRNGStateHook', 'restart_schedulers']
