"""amd_mm.datasets.fashion_canvases (tools/data/fashion_canvases.py): COCO files that mmdet's CocoDataset and
pycocotools read; masks = the real items' silhouettes minus what later items
cover; boxes tight to the visible masks; semantic maps from the same masks;
deterministic, cached, and no item image shared across splits."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from amd_mm.datasets import fashion_canvases as canvases
SMALL = dict(size=64, train=12, val=6, test=6, seed=3)


@pytest.fixture(scope='module')
def root(fashion_root, tmp_path_factory):
    return canvases.make_canvases(str(tmp_path_factory.mktemp('canvases')), fashion_root,
                                  **SMALL)


def coco_of(root, split):
    with open(osp.join(root, 'annotations', f'instances_{split}.json')) as f:
        return json.load(f)


def decode(ann):
    from pycocotools import mask as mask_utils
    rle = dict(ann['segmentation'], counts=ann['segmentation']['counts'].encode())
    return mask_utils.decode(rle).astype(bool)


def test_mmdet_coco_dataset_reads_every_split(root):
    from mmdet.datasets import CocoDataset
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    for split in ('train', 'val', 'test'):
        dataset = CocoDataset(
            data_root=root, ann_file=f'annotations/instances_{split}.json',
            data_prefix=dict(img=f'images/{split}/'), metainfo=dict(classes=canvases.CLASSES),
            filter_cfg=dict(filter_empty_gt=True, min_size=0), pipeline=[
                dict(type='LoadImageFromFile', color_type='grayscale'),
                dict(type='LoadAnnotations', with_bbox=True, with_mask=True)])
        assert len(dataset) == SMALL[split]
        coco = coco_of(root, split)
        for index in range(len(dataset)):
            sample = dataset[index]
            anns = [a for a in coco['annotations']
                    if a['image_id'] == sample['img_id']]
            assert sample['img'].shape == (64, 64)
            assert 1 <= len(anns) == len(sample['gt_bboxes_labels']) <= 5
            assert list(sample['gt_bboxes_labels']) == [a['category_id'] for a in anns]
            masks = sample['gt_masks'].to_ndarray().astype(bool)
            for mask, ann in zip(masks, anns):
                assert np.array_equal(mask, decode(ann))


def test_masks_are_silhouettes_minus_later_items_and_boxes_tight(root, fashion_root):
    from pycocotools.coco import COCO
    items = {f: canvases._load_items(fashion_root, s)
             for f, s in (('train', 'train'), ('t10k', 'test'))}
    for split in ('train', 'test'):
        api = COCO(osp.join(root, 'annotations', f'instances_{split}.json'))
        for image_id in api.getImgIds():
            info = api.loadImgs(image_id)[0]
            image = np.asarray(Image.open(osp.join(root, 'images', split, info['file_name'])))
            semantic = np.asarray(Image.open(osp.join(root, 'seg', split, info['file_name'])))
            anns = sorted(api.loadAnns(api.getAnnIds(imgIds=image_id)), key=lambda a: a['id'])
            silhouettes = []
            for ann in anns:  # pasting order
                images, labels, rows = items[ann['item']['file']]
                row = int(np.searchsorted(rows, ann['item']['row']))
                x, y, side = ann['item']['place']
                pasted, sil = canvases._render(images[row], side)
                full = np.zeros_like(image, bool)
                full[y:y + side, x:x + side] = sil
                silhouettes.append((full, np.pad(pasted, ((y, 64 - y - side),
                                                          (x, 64 - x - side)))))
                assert ann['category_id'] == labels[row]
            union = np.zeros_like(image, bool)
            for k, ann in enumerate(anns):
                full, pasted = silhouettes[k]
                later = np.zeros_like(full)
                for other, _ in silhouettes[k + 1:]:
                    later |= other
                visible = api.annToMask(ann).astype(bool)
                assert np.array_equal(visible, full & ~later)
                assert visible.sum() >= canvases.MIN_VISIBLE * full.sum()
                assert np.array_equal(image[visible], pasted[visible])  # the real item
                assert (semantic[visible] == ann['category_id'] + 1).all()
                ys, xs = np.nonzero(visible)
                assert ann['bbox'] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                                       ys.max() - ys.min() + 1]
                assert ann['area'] == visible.sum() and ann['iscrowd'] == 0
                union |= visible
            assert (semantic[~union] == 0).all() and (image[~union] == 0).all()


def test_splits_use_disjoint_item_images(root):
    rows = {s: {(a['item']['file'], a['item']['row']) for a in coco_of(root, s)['annotations']}
            for s in ('train', 'val', 'test')}
    assert all(f == 'train' and r < 55000 for f, r in rows['train'])
    assert all(f == 'train' and r >= 55000 for f, r in rows['val'])
    assert all(f == 't10k' for f, _ in rows['test'])
    assert not rows['train'] & rows['val']


def test_deterministic_and_cached(root, fashion_root, tmp_path):
    again = canvases.make_canvases(str(tmp_path / 'a'), fashion_root, **SMALL)
    for split in ('train', 'test'):
        assert coco_of(again, split) == coco_of(root, split)
        for name in sorted(os.listdir(osp.join(root, 'images', split)))[:4]:
            for folder in ('images', 'seg'):
                with open(osp.join(root, folder, split, name), 'rb') as a, \
                        open(osp.join(again, folder, split, name), 'rb') as b:
                    assert a.read() == b.read()
    manifest = osp.join(again, 'manifest.json')
    stamp = os.stat(manifest).st_mtime_ns
    assert canvases.make_canvases(str(tmp_path / 'a'), fashion_root, **SMALL) == again
    assert os.stat(manifest).st_mtime_ns == stamp  # found, not rewritten
    other = canvases.make_canvases(str(tmp_path / 'b'), fashion_root, **dict(SMALL, seed=4))
    assert coco_of(other, 'train') != coco_of(root, 'train')


@pytest.mark.parametrize('field,value', [('size', 16), ('train', 0), ('max_items', 2.5)])
def test_bad_parameters_are_named(field, value, tmp_path):
    with pytest.raises(ValueError, match=field):
        canvases.make_canvases(str(tmp_path), None, **dict(SMALL, **{field: value}))
