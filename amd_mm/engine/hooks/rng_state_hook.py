"""Keep torch's random state in checkpoints so resumed runs are exact."""
import torch
from mmengine.hooks import Hook

from ...registry import HOOKS


@HOOKS.register_module()
class TorchRNGStateHook(Hook):
    """Save torch's CPU (and CUDA) RNG state with every checkpoint and restore
    it on resume.

    MMEngine re-seeds at start-up, so without this a resumed run draws
    different random numbers in the model (e.g. MAE's in-backbone masking)
    than the uninterrupted run. NumPy/``random`` are deliberately left alone:
    the loop replays the data pipeline of the skipped iterations, which brings
    them to the right state by itself.
    """
    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(cpu=torch.get_rng_state())
        if torch.cuda.is_available():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['torch_rng_state'] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('torch_rng_state')
        if not state:
            return
        torch.set_rng_state(state['cpu'])
        if 'cuda' in state and torch.cuda.is_available():
            if len(state['cuda']) == torch.cuda.device_count():
                torch.cuda.set_rng_state_all(state['cuda'])
