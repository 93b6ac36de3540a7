"""Progress lines for short runs."""
from mmengine.hooks import Hook, LoggerHook

from ...registry import HOOKS


@HOOKS.register_module()
class AutoLogIntervalHook(Hook):
    """Lower the logger interval of a short run so that it prints about
    ``lines`` progress lines (never fewer than the configured interval
    gives, never an interval below 1); a run of ``lines`` intervals or more
    keeps the configured one.

    A default hook of ``configs/_base_/default_runtime.py``
    (``default_hooks.log_interval``), so every entry point has it; a config
    that wants its interval kept as is sets ``auto_log_interval = False``
    (``tools/train.py`` does so when ``--cfg-options`` sets
    ``default_hooks.logger``).
    """
    priority = 'VERY_HIGH'

    def __init__(self, lines: int = 10):
        self.lines = lines

    def before_train(self, runner) -> None:
        if not runner.cfg.get('auto_log_interval', True):
            return
        from mmengine.runner import EpochBasedTrainLoop
        per_epoch = (len(runner.train_dataloader)
                     if isinstance(runner.train_loop, EpochBasedTrainLoop) else None)
        length = per_epoch or runner.max_iters
        for hook in runner.hooks:
            if isinstance(hook, LoggerHook):
                interval = max(1, min(hook.interval, length // self.lines))
                if interval != hook.interval:
                    runner.logger.info(
                        f'logging every {interval} iterations (a {length}-iteration '
                        f'{"epoch" if per_epoch else "run"}; configured {hook.interval})')
                    hook.interval = interval
