"""Images stored in the idx format of (Fashion-)MNIST."""
import gzip
import os.path as osp

import numpy as np
from mmpretrain.datasets import BaseDataset

from ..paths import resolve
from ..registry import DATASETS
from .transforms.asymmetric_masking import MaskingFieldMixin

FASHION_MNIST_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
                         'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')


def read_idx(path: str) -> np.ndarray:
    """Read an idx file (optionally gzipped): images -> (N, H, W) uint8,
    labels -> (N,) uint8."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def split_rows(rows: np.ndarray, split: str, val_size: int = 5000) -> np.ndarray:
    """The rows of an idx array that belong to ``split`` (see
    :class:`IdxImageDataset`); the test file is returned whole."""
    if split in ('test', 'trainval'):
        return rows
    if val_size >= len(rows):
        raise ValueError(f'IdxImageDataset.val_size={val_size} leaves no training image '
                         f'out of {len(rows)}')
    return rows[:len(rows) - val_size] if split == 'train' else rows[len(rows) - val_size:]


@DATASETS.register_module()
class IdxImageDataset(MaskingFieldMixin, BaseDataset):
    """Fashion-MNIST (or MNIST) from its idx files, fetched by
    ``tools/data/fetch_data.py`` into ``data/fashion-mnist``.

    Each sample gives ``img`` (H, W) uint8 and ``gt_label``.

    The idx training file is cut into a training and a validation split (its
    last ``val_size`` images), so that every evaluation choice can be made
    without the test images: ``'train'`` (the first 55k of Fashion-MNIST's
    60k), ``'val'`` (the last 5k), ``'trainval'`` (all 60k) and ``'test'``
    (the 10k of ``t10k``).

    Args:
        data_root (str): folder with ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``.
        split (str): 'train', 'val', 'trainval' or 'test'.
        val_size (int): images at the end of the idx training file that
            form the validation split.
        num_samples (int, optional): keep only the first ``num_samples``.
        pipeline (list): transforms.
        masking (dict, optional): the mask transform put at the pipeline's
            ``'masking'`` step (:class:`MaskingFieldMixin`).
    """
    METAINFO = dict(classes=FASHION_MNIST_CLASSES)
    SPLITS = ('train', 'val', 'trainval', 'test')

    def __init__(self, data_root: str, split: str = 'train', val_size: int = 5000,
                 num_samples: int = None, pipeline=(), **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'IdxImageDataset.split must be one of {self.SPLITS}, '
                             f'got {split!r}')
        if not isinstance(val_size, int) or val_size < 0:
            raise ValueError(f'IdxImageDataset.val_size must be an int >= 0, got {val_size!r}')
        self.val_size = val_size
        data_root = resolve(data_root)  # shipped relative roots work from any folder
        if not osp.isdir(data_root):
            raise FileNotFoundError(
                f'IdxImageDataset.data_root={data_root!r} does not exist; '
                f'fetch the data with `python tools/data/fetch_data.py`')
        self.split = split
        self.num_samples = num_samples
        # the arrays are small and already compact: pickling 60k of them per
        # start-up (MMEngine's default) costs ~10 s and saves nothing
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file='', data_root=data_root, pipeline=pipeline,
                         **kwargs)

    def _file(self, kind: str) -> str:
        stem = 't10k' if self.split == 'test' else 'train'
        base = osp.join(self.data_root, f'{stem}-{kind}-ubyte')
        for path in (base + '.gz', base):
            if osp.isfile(path):
                return path
        raise FileNotFoundError(f'IdxImageDataset: neither {base}.gz nor {base}'
                                f' exists under data_root={self.data_root!r}')

    def load_data_list(self):
        images = read_idx(self._file('images-idx3'))
        labels = read_idx(self._file('labels-idx1'))
        images, labels = split_rows(images, self.split, self.val_size), \
            split_rows(labels, self.split, self.val_size)
        if self.num_samples is not None:
            if isinstance(self.num_samples, bool) or not isinstance(
                    self.num_samples, int) or self.num_samples < 1:
                raise ValueError(f'IdxImageDataset.num_samples must be an int >= 1 (or None '
                                 f'for all), got {self.num_samples!r}')
            images, labels = images[:self.num_samples], labels[:self.num_samples]
        if len(images) == 0:
            raise ValueError(f'IdxImageDataset (data_root={self.data_root!r}, split='
                             f'{self.split!r}) has no image')
        return [dict(img=img, gt_label=int(label))
                for img, label in zip(images, labels)]
