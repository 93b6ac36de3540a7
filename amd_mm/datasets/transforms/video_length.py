"""Reject videos too short to give one clip."""
from mmcv.transforms import BaseTransform

from ...registry import TRANSFORMS


class VideoTooShortError(ValueError):
    """A video has fewer frames than the pipeline's ``min_frames``."""


@TRANSFORMS.register_module()
class CheckVideoLength(BaseTransform):
    """Raise :class:`VideoTooShortError` when ``results['total_frames']``
    (set by ``mmaction.DecordInit``) is below ``min_frames``.

    Put it right after ``DecordInit``: ``mmaction.SampleFrames`` never fails
    on a short video, it loops its frames, so without this check a 3-frame
    clip would silently become a 16-frame one. Rule used by amd_mm's configs:
    ``min_frames = clip_len`` (the clip cannot be filled with distinct
    frames); longer videos whose span ``clip_len * frame_interval`` does not
    fit are kept and looped, as MMAction2 and VideoMAE do (many SSv2 videos
    are shorter than 32 frames). Set ``min_frames=clip_len * frame_interval``
    for the stricter rule. :class:`~amd_mm.datasets.SkippingVideoDataset`
    turns the error into a logged skip.

    Args:
        min_frames (int): the fewest frames a usable video has.
    """

    def __init__(self, min_frames: int):
        if int(min_frames) < 1:
            raise ValueError(f'CheckVideoLength.min_frames must be >= 1, got {min_frames}')
        self.min_frames = int(min_frames)

    def transform(self, results: dict) -> dict:
        total = results['total_frames']
        if total < self.min_frames:
            raise VideoTooShortError(
                f'{total} frames, fewer than min_frames={self.min_frames}')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(min_frames={self.min_frames})'
