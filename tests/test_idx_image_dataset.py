import numpy as np
import pytest

from amd_mm.datasets import IdxImageDataset, split_rows


def test_train_and_val_partition_the_training_file(fashion_root):
    def images(split, **kw):
        return np.stack([d['img'] for d in IdxImageDataset(fashion_root, split, **kw).data_list])
    train, val, trainval = images('train'), images('val'), images('trainval')
    assert (len(train), len(val), len(trainval)) == (55000, 5000, 60000)
    assert np.array_equal(np.concatenate([train, val]), trainval)
    assert len(IdxImageDataset(fashion_root, 'test').data_list) == 10000
    assert len(images('val', val_size=1000)) == 1000


def test_bad_split_and_val_size_name_the_field(fashion_root):
    with pytest.raises(ValueError, match=r"IdxImageDataset.split .*'validation'"):
        IdxImageDataset(fashion_root, 'validation')
    with pytest.raises(ValueError, match='IdxImageDataset.val_size'):
        IdxImageDataset(fashion_root, 'val', val_size=-1)
    with pytest.raises(ValueError, match='leaves no training image'):
        split_rows(np.zeros(10), 'train', val_size=10)
