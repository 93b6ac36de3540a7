from .idx_image_dataset import IdxImageDataset, read_idx
from .transforms import *  # noqa: F401,F403
from .video_dataset import SkippingVideoDataset

__all__ = ['IdxImageDataset', 'SkippingVideoDataset', 'read_idx']
