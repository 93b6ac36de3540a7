from .idx_image_dataset import IdxImageDataset, read_idx, split_rows
from .imagenet import MaskedImageNet
from .transforms import *  # noqa: F401,F403
from .video_dataset import SkippingVideoDataset

__all__ = ['IdxImageDataset', 'MaskedImageNet', 'SkippingVideoDataset', 'read_idx',
           'split_rows']
