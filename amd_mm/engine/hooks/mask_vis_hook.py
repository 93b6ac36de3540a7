"""Mask / reconstruction pictures during any amd_mm training run."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...registry import HOOKS
from ...visualization import mask_panels


@HOOKS.register_module()
class MaskReconstructionHook(Hook):
    """Every ``interval`` iterations (and at the last one) draw, for the first
    ``num_samples`` of the current batch, the student's and the teacher's
    views and, where the model has a pixel decoder, the student's pixel
    reconstruction, and hand the picture to the
    runner's visualizer (``vis_data/vis_image`` in the work dir with
    ``LocalVisBackend``; TensorBoard when ``vis_backends`` has
    ``TensorboardVisBackend``).

    Args:
        interval (int): iterations between pictures.
        num_samples (int): rows per picture (for video batches of V views
            per video, ``num_samples // V`` videos, at least one).
        scale (int): nearest-neighbour up-scaling of small images.
    """
    priority = 'LOW'

    def __init__(self, interval: int = 500, num_samples: int = 8, scale: int = 4):
        self.interval = interval
        self.num_samples = num_samples
        self.scale = scale

    def picture(self, model, data_batch):
        """The panel for a raw (not yet preprocessed) data batch."""
        data = model.data_preprocessor(data_batch, False)
        views = data['inputs'].shape[1] if data['inputs'].ndim == 6 else 1
        count = max(1, self.num_samples // views)
        inputs = data['inputs'][:count]
        samples = data['data_samples'][:count]
        reconstruction, tokens = model.reconstruct(inputs, samples)  # None: masks only
        if inputs.ndim == 6:  # (B, views, C, T, H, W): one row per view
            inputs = inputs.flatten(0, 1)
        preprocessor = model.data_preprocessor
        return mask_panels(inputs, reconstruction, tokens,
                           preprocessor.mean.flatten().tolist(),
                           preprocessor.std.flatten().tolist(),
                           model.head.patch_size, self.scale)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if not (self.every_n_train_iters(runner, self.interval)
                or self.is_last_train_iter(runner)):
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        was_training = model.training
        model.eval()
        image = self.picture(model, data_batch)
        model.train(was_training)
        runner.visualizer.add_image('masks_reconstruction', image, step=runner.iter + 1)
