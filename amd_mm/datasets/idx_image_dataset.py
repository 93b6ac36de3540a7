"""Images stored in the idx format of (Fashion-)MNIST."""
import gzip
import os.path as osp

import numpy as np
from mmpretrain.datasets import BaseDataset

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


@DATASETS.register_module()
class IdxImageDataset(MaskingFieldMixin, BaseDataset):
    """Fashion-MNIST (or MNIST) from its idx files, fetched by
    ``tools/data/fetch_data.py`` into ``data/fashion-mnist``.

    Each sample gives ``img`` (H, W) uint8 and ``gt_label``.

    Args:
        data_root (str): folder with ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``.
        split (str): 'train' or 'test'.
        num_samples (int, optional): keep only the first ``num_samples``.
        pipeline (list): transforms.
        masking (dict, optional): the mask transform put at the pipeline's
            ``'masking'`` step (:class:`MaskingFieldMixin`).
    """
    METAINFO = dict(classes=FASHION_MNIST_CLASSES)

    def __init__(self, data_root: str, split: str = 'train',
                 num_samples: int = None, pipeline=(), **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f"IdxImageDataset.split must be 'train' or "
                             f"'test', got {split!r}")
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
        stem = 'train' if self.split == 'train' else 't10k'
        base = osp.join(self.data_root, f'{stem}-{kind}-ubyte')
        for path in (base + '.gz', base):
            if osp.isfile(path):
                return path
        raise FileNotFoundError(f'IdxImageDataset: neither {base}.gz nor {base}'
                                f' exists under data_root={self.data_root!r}')

    def load_data_list(self):
        images = read_idx(self._file('images-idx3'))
        labels = read_idx(self._file('labels-idx1'))
        if self.num_samples is not None:
            images, labels = images[:self.num_samples], labels[:self.num_samples]
        return [dict(img=img, gt_label=int(label))
                for img, label in zip(images, labels)]
