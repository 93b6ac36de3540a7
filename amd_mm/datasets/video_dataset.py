"""MMAction2's ``VideoDataset`` that survives bad videos."""
from mmaction.datasets import VideoDataset
from mmengine.logging import MMLogger

from ..registry import DATASETS
from .transforms.asymmetric_masking import MaskingFieldMixin

# What a corrupt, unreadable, missing or too-short video raises in the
# pipeline (decord's DECORDError is a RuntimeError; FileNotFoundError an
# OSError; CheckVideoLength's error a ValueError). Programming errors
# (TypeError, KeyError, ...) still stop the run.
VIDEO_ERRORS = (OSError, RuntimeError, ValueError, EOFError)


@DATASETS.register_module()
class SkippingVideoDataset(MaskingFieldMixin, VideoDataset):
    """``mmaction.VideoDataset`` (annotation lines ``path label``) for
    pre-training on large, imperfect video collections.

    When the pipeline fails on a video (corrupt or truncated file, not a
    video, missing, or shorter than
    :class:`~amd_mm.datasets.transforms.CheckVideoLength` allows) the warning
    ``skipped video <path>: <reason> (<n> skipped so far)`` is logged through
    MMLogger and another random video is drawn (MMEngine's refetch, at most
    ``max_refetch`` times in a row). ``n`` counts per process, i.e. per
    dataloader worker. In ``test_mode`` the error is raised instead:
    evaluation must not change its sample set silently.

    Repeated augmentation (official ``--num_sample 4``) is the pipeline's
    job: :class:`~amd_mm.datasets.transforms.RepeatedViews` decodes a video
    once and gives each copy its own crop and mask.

    Args:
        masking (dict, optional): the mask transform put at the pipeline's
            ``'masking'`` step(s) (:class:`MaskingFieldMixin`).
        **kwargs: the arguments of ``mmaction.datasets.VideoDataset``
            (``ann_file``, ``data_prefix=dict(video=...)``, ``pipeline``).
    """

    def __init__(self, *args, **kwargs):
        self.num_skipped = 0
        super().__init__(*args, **kwargs)

    def prepare_data(self, idx):
        try:
            return super().prepare_data(idx)
        except VIDEO_ERRORS as error:
            if self.test_mode:
                raise
            self.num_skipped += 1
            path = self.get_data_info(idx).get('filename')
            reason = f'{type(error).__name__}: {error}'.splitlines()[0]
            MMLogger.get_current_instance().warning(
                f'skipped video {path}: {reason} ({self.num_skipped} skipped so far)')
            return None  # MMEngine's __getitem__ then draws another index
