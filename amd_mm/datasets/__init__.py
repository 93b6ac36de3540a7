from .idx_image_dataset import IdxImageDataset, read_idx
from .transforms import *  # noqa: F401,F403

__all__ = ['IdxImageDataset', 'read_idx']
