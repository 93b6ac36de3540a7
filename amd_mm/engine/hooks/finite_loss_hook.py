"""Stop a run at the first non-finite loss, as the official AMD/VideoMAE
engines do (``if not math.isfinite(loss_value): sys.exit(1)``)."""
import math

from mmengine.hooks import Hook

from ...registry import HOOKS


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise ``FloatingPointError`` naming the iteration and the loss
    term(s) as soon as a logged loss is NaN or infinite, before the
    iteration's checkpoint is written (MMEngine would log ``loss: nan``,
    keep training and save the NaN weights).

    It reads the values MMEngine's ``RuntimeInfoHook`` (priority VERY_HIGH)
    has just copied to the message hub as Python floats, so it adds no
    device synchronisation of its own; ``CheckpointHook`` (VERY_LOW) runs
    after it. A default hook of ``configs/_base_/default_runtime.py``
    (``default_hooks.finite_loss``), so every entry point has it.
    """
    priority = 'NORMAL'

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if not outputs:
            return
        values = {}
        for key in outputs:
            history = runner.message_hub.log_scalars.get(f'train/{key}')
            if history is not None:
                values[key] = history.current()
        bad = {k: v for k, v in values.items()
               if isinstance(v, float) and not math.isfinite(v)}
        if not bad:
            return
        terms = [k for k in bad if k != 'loss'] or list(bad)
        shown = ', '.join(f'{k}={v}' for k, v in values.items() if 'loss' in k)
        raise FloatingPointError(
            f'non-finite loss at iteration {runner.iter + 1}: {", ".join(terms)} '
            f'({shown}); the run is stopped before this iteration\'s weights are saved. '
            'Usual causes: a learning rate too high for the batch (see --auto-scale-lr), '
            'fp16 overflow (try without --amp), or a setting that divides by zero')
