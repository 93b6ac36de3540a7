"""Fashion-MNIST canvases: a COCO-format instance-segmentation set (and the
same canvases as a semantic-segmentation set) made from real Fashion-MNIST
items, for fine-tuning the students with MMDetection and MMSegmentation.

Each grey canvas (black background, as Fashion-MNIST) holds 1-5 items at
random positions and sizes, pasted in order: a later item occludes the
earlier ones where its silhouette lies. Per item:

* silhouette: the 28x28 item's pixels above ``SILHOUETTE_THRESHOLD``,
  resized with the item (bilinear, kept where >= 0.5); only silhouette
  pixels are pasted, so image and masks agree exactly;
* mask: its silhouette minus the silhouettes of the items pasted after it
  (COCO RLE); a placement that would leave an earlier item less than
  ``MIN_VISIBLE`` of its silhouette is redrawn (else the canvas stops
  there), so every pasted item is annotated and recognisable;
* box: tight to the *visible* mask (``[x, y, w, h]``, COCO's convention, in
  pixels: ``w = max col - min col + 1``); ``area``: visible pixels;
* class: its Fashion-MNIST label (``category_id`` 0-9; COCO allows 0);
* ``item``: where it came from (idx ``file`` and ``row``) and where it was
  pasted (``place``: x, y, side), an extra field COCO readers ignore.

Semantic maps (``seg/``) hold 0 for background and ``label + 1`` on each
item's visible pixels (11 classes). Item images come from IdxImageDataset's
splits: train canvases from the train rows (first 55k of the 60k file), val
canvases from the val rows (its last 5k), test canvases from the 10k test
file, so no item image is shared across splits.

Deterministic from ``seed``; written once under ``data/fashion_canvases/<key>/``
with ``manifest.json`` (the parameters and counts): a second call with the
same parameters returns at once (``tools/data/fashion_canvases.py`` is its
command line).
"""
import json
import os
import os.path as osp
import shutil

import numpy as np

from .fetch import fetch_fashion_mnist
from ..paths import CHECKOUT as ROOT  # the checkout: the default data/ folder
from .idx_image_dataset import read_idx, split_rows

CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
           'Sneaker', 'Bag', 'Ankle boot')
SEG_CLASSES = ('background', ) + CLASSES
SILHOUETTE_THRESHOLD = 8  # of 255: above the faint noise around some items
MIN_VISIBLE = 0.5         # of an item's silhouette left visible by later items
VERSION = 1               # bump when the drawing changes: a new cache key
SPLITS = ('train', 'val', 'test')


def _load_items(fashion_root, split):
    """uint8 (N, 28, 28) item images, labels and row numbers in their idx
    file, of an IdxImageDataset split."""
    stem = 't10k' if split == 'test' else 'train'
    images = read_idx(osp.join(fashion_root, f'{stem}-images-idx3-ubyte.gz'))
    labels = read_idx(osp.join(fashion_root, f'{stem}-labels-idx1-ubyte.gz'))
    return (split_rows(images, split), split_rows(labels, split),
            split_rows(np.arange(len(images)), split))


def _render(item, side):
    """The item resized to ``side`` pixels and its silhouette there."""
    from PIL import Image
    image = np.asarray(Image.fromarray(item).resize((side, side), Image.BILINEAR))
    sil = (item > SILHOUETTE_THRESHOLD).astype(np.float32)
    sil = np.asarray(Image.fromarray(sil, mode='F').resize((side, side), Image.BILINEAR)) >= 0.5
    return image, sil


def draw_canvas(rng, images, labels, size, max_items=5, side_range=(0.3, 0.6), tries=20):
    """One canvas: ``(image (size, size) uint8, items)``, each item a dict with
    ``label``, ``mask`` (visible pixels, bool), ``index`` (row in ``images``)
    and ``place`` (``x, y, side`` of the pasted square).

    The number of items is uniform in 1..``max_items``; each item's side is
    uniform in ``side_range`` times ``size``; its top-left corner uniform
    over the canvas (the item fully inside)."""
    canvas = np.zeros((size, size), np.uint8)
    owner = np.full((size, size), -1, np.int64)  # which item shows at each pixel
    items, full_area = [], []
    for _ in range(int(rng.integers(1, max_items + 1))):
        index = int(rng.integers(len(images)))
        side = int(rng.integers(round(side_range[0] * size), round(side_range[1] * size) + 1))
        image, sil = _render(images[index], side)
        for _ in range(tries):
            y, x = (int(v) for v in rng.integers(0, size - side + 1, size=2))
            trial = owner.copy()
            trial[y:y + side, x:x + side][sil] = len(items)
            if all((trial == k).sum() >= MIN_VISIBLE * full_area[k] for k in range(len(items))):
                break
        else:
            break  # no room left: the canvas keeps the items it has
        owner = trial
        canvas[y:y + side, x:x + side][sil] = image[sil]
        items.append(dict(label=int(labels[index]), index=index, place=(x, y, side)))
        full_area.append(int(sil.sum()))
    for k, item in enumerate(items):
        item['mask'] = owner == k
    return canvas, items


def _annotation(mask, label, image_id, ann_id, item):
    from pycocotools import mask as mask_utils
    ys, xs = np.nonzero(mask)
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    x0, y0 = int(xs.min()), int(ys.min())
    return dict(id=ann_id, image_id=image_id, category_id=label, segmentation=rle,
                area=int(mask.sum()), bbox=[x0, y0, int(xs.max()) - x0 + 1,
                                            int(ys.max()) - y0 + 1], iscrowd=0,
                item=item)


def _write_split(out, split, count, items, size, seed, max_items):
    from PIL import Image
    images, labels, rows = items
    rng = np.random.default_rng([seed, SPLITS.index(split)])
    for folder in ('images', 'seg'):
        os.makedirs(osp.join(out, folder, split), exist_ok=True)
    coco = dict(images=[], annotations=[],
                categories=[dict(id=i, name=name) for i, name in enumerate(CLASSES)])
    used = set()
    for image_id in range(count):
        canvas, placed = draw_canvas(rng, images, labels, size, max_items)
        name = f'{image_id:06d}.png'
        semantic = np.zeros((size, size), np.uint8)
        for item in placed:
            # provenance: the idx file and row the item was cut from
            source = dict(file='t10k' if split == 'test' else 'train',
                          row=int(rows[item['index']]), place=list(item['place']))
            coco['annotations'].append(_annotation(item['mask'], item['label'], image_id,
                                                   len(coco['annotations']), source))
            semantic[item['mask']] = item['label'] + 1
            used.add(item['index'])
        Image.fromarray(canvas).save(osp.join(out, 'images', split, name))
        Image.fromarray(semantic).save(osp.join(out, 'seg', split, name))
        coco['images'].append(dict(id=image_id, file_name=name, width=size, height=size))
    with open(osp.join(out, 'annotations', f'instances_{split}.json'), 'w') as f:
        json.dump(coco, f)
    return dict(canvases=count, items=len(coco['annotations']), item_images=sorted(used))


def canvas_key(size, counts, seed, max_items):
    return (f'v{VERSION}_s{size}_n{counts["train"]}-{counts["val"]}-{counts["test"]}'
            f'_k{max_items}_seed{seed}')


def make_canvases(out_root=None, fashion_root=None, size=64, train=2000, val=300, test=300,
                  seed=0, max_items=5):
    """Write (or find, cached) the canvases; returns their folder, which holds
    ``images/{split}/``, ``seg/{split}/``, ``annotations/instances_{split}.json``
    and ``manifest.json``."""
    counts = dict(train=train, val=val, test=test)
    for name, value in dict(size=size, max_items=max_items, **counts).items():
        if int(value) != value or value < 1:
            raise ValueError(f'fashion canvases: {name}={value!r}, expected a positive integer')
    if size < 32:
        raise ValueError(f'fashion canvases: size={size}, expected >= 32 (items are '
                         f'{round(0.3 * size)}-{round(0.6 * size)} px)')
    out_root = out_root or osp.join(ROOT, 'data', 'fashion_canvases')
    fashion_root = fashion_root or osp.join(ROOT, 'data', 'fashion-mnist')
    out = osp.join(out_root, canvas_key(size, counts, seed, max_items))
    params = dict(version=VERSION, size=size, counts=counts, seed=seed, max_items=max_items,
                  silhouette_threshold=SILHOUETTE_THRESHOLD, min_visible=MIN_VISIBLE)
    manifest = osp.join(out, 'manifest.json')
    if osp.isfile(manifest):
        with open(manifest) as f:
            if json.load(f)['params'] == params:
                return out
    if not osp.isfile(osp.join(fashion_root, 'train-images-idx3-ubyte.gz')):
        fetch_fashion_mnist(osp.dirname(fashion_root))
    tmp = out + '.partial'  # a crash never leaves a folder that looks finished
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(osp.join(tmp, 'annotations'))
    stats = {split: _write_split(tmp, split, counts[split], _load_items(fashion_root, split),
                                 size, seed, max_items) for split in SPLITS}
    with open(osp.join(tmp, 'manifest.json'), 'w') as f:
        json.dump(dict(params=params, classes=CLASSES, seg_classes=SEG_CLASSES,
                       splits={s: dict(canvases=v['canvases'], items=v['items'],
                                       item_images=len(v['item_images']))
                               for s, v in stats.items()}), f, indent=1)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return out

