"""Moving Fashion-MNIST: labelled videos of real Fashion-MNIST items that move
and bounce, written as H.264 mp4 files with MMAction2 annotation lists.

Each video shows one item (a 28x28 Fashion-MNIST image, grey in RGB, pasted
with max-compositing on black) moving with constant speed and bouncing off
the canvas walls. Two labels per video:

* ``class``: the item's Fashion-MNIST class (appearance; one frame tells it);
* ``direction``: the direction of the item's *initial* velocity, 8 classes,
  angle ``k * 45`` degrees, ``k = 0`` is "right" and ``k`` counts
  counter-clockwise as seen on screen (image rows grow downwards): 0 right,
  1 up-right, 2 up, 3 up-left, 4 left, 5 down-left, 6 down, 7 down-right.
  A bounce later in the clip is part of the motion; the label is where the
  item started going, so it is decided by temporal order (a clip played
  backwards shows another label), as Something-Something needs.

Items of the train videos come from the first 55k Fashion-MNIST training
images, val videos from the last 5k (the project's val split, see
:func:`split_rows`) and test videos from the 10k test images, so no item
image is shared across splits. Everything is drawn from ``seed``; video
``i`` of a split depends only on (seed, split, i), so asking for more videos
keeps the first ones identical.

Layout under ``root``::

    videos/{train,val,test}/{idx:05d}.mp4
    {split}_class.txt, {split}_direction.txt   # ``train/00000.mp4 3``
    manifest.json                              # parameters + per-video metadata
"""
import json
import math
import os
import os.path as osp
import shutil
import time

import numpy as np

from .idx_image_dataset import read_idx, split_rows

SPLITS = ('train', 'val', 'test')
DIRECTIONS = ('right', 'up-right', 'up', 'up-left', 'left', 'down-left', 'down',
              'down-right')
ITEM = 28
# pixels above this grey level belong to the item's visible silhouette
# (Fashion-MNIST backgrounds are 0 with faint compression-like noise)
SILHOUETTE_THR = 10
FORMAT_VERSION = 1
_SPLIT_CODE = dict(train=0, val=1, test=2)


def direction_velocity(direction: int, speed: float) -> np.ndarray:
    """(dx, dy) in pixels/frame for direction class ``direction`` (image
    coordinates: dy > 0 moves down, so "up" has dy < 0)."""
    angle = math.radians(45 * direction)
    return np.array([speed * math.cos(angle), -speed * math.sin(angle)])


def velocity_direction(velocity) -> int:
    """The direction class (0..7) nearest to a velocity (dx, dy)."""
    angle = math.degrees(math.atan2(-velocity[1], velocity[0]))
    return int(round(angle / 45)) % 8


def bounce_track(start, velocity, frames: int, limit: float):
    """Positions of a point moving with ``velocity`` inside [0, limit]^2,
    reflecting the velocity component that would leave the box.

    Returns (positions (frames, 2), velocities (frames, 2)): ``velocities[t]``
    is the velocity the point has on leaving frame t, after any bounce on
    the way to frame t+1."""
    pos, vel = np.array(start, float), np.array(velocity, float)
    positions, velocities = [], []
    for _ in range(frames):
        positions.append(pos.copy())
        nxt = pos + vel
        for axis in range(2):  # mirror at the wall, keep the travelled length
            if nxt[axis] < 0:
                nxt[axis], vel[axis] = -nxt[axis], -vel[axis]
            elif nxt[axis] > limit:
                nxt[axis], vel[axis] = 2 * limit - nxt[axis], -vel[axis]
        velocities.append(vel.copy())
        pos = nxt
    return np.stack(positions), np.stack(velocities)


def silhouette_box(item: np.ndarray):
    """[x1, y1, x2, y2] (x2, y2 exclusive) of an item's pixels above
    SILHOUETTE_THR, in the item's own coordinates."""
    ys, xs = np.nonzero(item > SILHOUETTE_THR)
    if len(xs) == 0:  # an empty image: its whole patch
        return [0, 0, item.shape[1], item.shape[0]]
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def draw_track(rng, frames: int, size: int, speed_range):
    """A random direction, speed and start, and the bouncing track of an
    item's top-left corner (integer pixel positions per frame)."""
    direction = int(rng.integers(8))
    speed = float(rng.uniform(*speed_range))
    start = rng.uniform(0, size - ITEM, size=2)
    positions, velocities = bounce_track(start, direction_velocity(direction, speed),
                                         frames, size - ITEM)
    return dict(direction=direction, speed=round(speed, 4),
                corners=np.rint(positions).astype(int),
                frame_directions=[velocity_direction(v) for v in velocities])


def render(items, corners, size: int) -> np.ndarray:
    """(T, size, size, 3) uint8 frames: each item pasted at its corners with
    max-compositing on black."""
    frames = np.zeros((len(corners[0]), size, size), np.uint8)
    for item, track in zip(items, corners):
        for t, (x, y) in enumerate(track):
            patch = frames[t, y:y + ITEM, x:x + ITEM]
            np.maximum(patch, item, out=patch)
    return np.repeat(frames[..., None], 3, axis=-1)


def write_mp4(path: str, frames: np.ndarray, fps: int, crf: int) -> None:
    """Encode RGB frames as H.264 (yuv420p) mp4 through PyAV, one thread."""
    import av
    with av.open(path, 'w') as container:
        stream = container.add_stream('libx264', rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = 'yuv420p'
        stream.options = {'crf': str(crf), 'threads': '1'}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _split_items(fashion_root: str, split: str):
    stem = 't10k' if split == 'test' else 'train'
    base = osp.join(fashion_root, f'{stem}-{{}}-ubyte')
    paths = [base.format(kind) for kind in ('images-idx3', 'labels-idx1')]
    paths = [p + '.gz' if osp.isfile(p + '.gz') else p for p in paths]
    for path in paths:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'make_moving_fashion_mnist: fashion_root={fashion_root!r} has no {path!r}; '
                'fetch it with `python tools/data/fetch_data.py`')
    images, labels = (split_rows(read_idx(p), split) for p in paths)
    # item rows are reported as rows of the idx file they come from
    offset = len(read_idx(paths[1])) - 5000 if split == 'val' else 0
    return images, labels, offset


def _check_args(num_videos, seed, frames, size, fps, crf, speed_range):
    for name, value, low in (*((f'num_{s}', n, 1) for s, n in num_videos.items()),
                             ('seed', seed, 0), ('frames', frames, 2),
                             ('size', size, ITEM + 4), ('fps', fps, 1), ('crf', crf, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f'make_moving_fashion_mnist: {name} must be an int >= {low}, '
                             f'got {value!r}')
    if size % 2:
        raise ValueError(f'make_moving_fashion_mnist: size must be even (yuv420p), got {size}')
    if (len(speed_range) != 2 or not 0 < speed_range[0] <= speed_range[1]
            or speed_range[1] >= size - ITEM):
        raise ValueError('make_moving_fashion_mnist: speed_range must be (low, high) with '
                         f'0 < low <= high < size - {ITEM}, got {speed_range!r}')


def make_moving_fashion_mnist(root: str = 'data/moving_fashion_mnist', num_train: int = 2000,
                              num_val: int = 300, num_test: int = 500, seed: int = 0,
                              frames: int = 16, size: int = 64, fps: int = 10, crf: int = 18,
                              speed_range=(1.5, 2.5), distractor: bool = False,
                              fashion_root: str = 'data/fashion-mnist',
                              verbose: bool = False) -> dict:
    """Generate (or find cached) Moving Fashion-MNIST videos; see the module
    docstring for what a video shows and how it is labelled.

    Args:
        root: output folder (``videos/``, annotation lists, ``manifest.json``).
        num_train, num_val, num_test: videos per split.
        seed: everything is drawn from it.
        frames, size, fps: frames per video, frame side in pixels, frame rate.
        crf: x264 constant rate factor (18: visually lossless).
        speed_range: item speed in pixels/frame, drawn uniformly.
        distractor: add a second, unlabelled item of the same split (its own
            motion; recorded in the manifest as ``distractor``).
        fashion_root: folder with the Fashion-MNIST idx files.

    Returns:
        dict of paths: ``root``, ``videos`` (the lists' data_prefix),
        ``manifest`` and ``{split}_class`` / ``{split}_direction`` lists.
    """
    num_videos = dict(train=num_train, val=num_val, test=num_test)
    speed_range = tuple(float(s) for s in speed_range)
    _check_args(num_videos, seed, frames, size, fps, crf, speed_range)
    params = dict(format_version=FORMAT_VERSION, num_train=num_train, num_val=num_val,
                  num_test=num_test, seed=seed, frames=frames, size=size, fps=fps, crf=crf,
                  speed_range=list(speed_range), distractor=bool(distractor))
    paths = dict(root=root, videos=osp.join(root, 'videos'),
                 manifest=osp.join(root, 'manifest.json'))
    for split in SPLITS:
        for label in ('class', 'direction'):
            paths[f'{split}_{label}'] = osp.join(root, f'{split}_{label}.txt')
    if _cached(paths, params):
        return paths

    start = time.time()
    if osp.isfile(paths['manifest']):  # another generation of ours: start clean
        os.remove(paths['manifest'])
        shutil.rmtree(paths['videos'], ignore_errors=True)
        shutil.rmtree(osp.join(root, 'ava'), ignore_errors=True)
    videos = {}
    for split in SPLITS:
        videos[split] = _make_split(paths['videos'], split, num_videos[split], params,
                                    fashion_root)
        for label in ('class', 'direction'):
            with open(paths[f'{split}_{label}'], 'w') as f:
                f.writelines(f"{v['file']} {v[label]}\n" for v in videos[split])
        if verbose:
            print(f'  {split}: {len(videos[split])} videos ({time.time() - start:.1f} s)')
    manifest = dict(params=params, directions=list(DIRECTIONS), videos=videos)
    tmp = paths['manifest'] + '.tmp'
    with open(tmp, 'w') as f:  # written last and atomically: it marks a complete cache
        json.dump(manifest, f)
    os.replace(tmp, paths['manifest'])
    return paths


def _cached(paths, params) -> bool:
    if not osp.isfile(paths['manifest']):
        return False
    try:
        with open(paths['manifest']) as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return False
    return manifest.get('params') == params and all(
        osp.isfile(paths[key]) for key in paths if key.endswith(('_class', '_direction'))) and all(
        osp.isfile(osp.join(paths['videos'], v['file']))
        for videos in manifest['videos'].values() for v in videos)


def _make_split(video_root, split, num, params, fashion_root):
    images, labels, row_offset = _split_items(fashion_root, split)
    if num > len(images):
        raise ValueError(f'make_moving_fashion_mnist: num_{split}={num} exceeds the '
                         f'{len(images)} item images of the {split} split')
    seed, frames, size = params['seed'], params['frames'], params['size']
    # one item image per video, never reused within the split
    order = np.random.default_rng([seed, _SPLIT_CODE[split]]).permutation(len(images))
    os.makedirs(osp.join(video_root, split), exist_ok=True)
    out = []
    for idx in range(num):
        rng = np.random.default_rng([seed, _SPLIT_CODE[split], idx, 1])
        rows = [int(order[idx])]
        if params['distractor']:
            rows.append(int(order[(idx + 1 + rng.integers(len(images) - 1)) % len(images)]))
        tracks = [draw_track(rng, frames, size, params['speed_range']) for _ in rows]
        items = [images[row] for row in rows]
        pixels = render(items, [t['corners'] for t in tracks], size)
        name = f'{split}/{idx:05d}.mp4'
        write_mp4(osp.join(video_root, name), pixels, params['fps'], params['crf'])
        meta = [_item_meta(row + row_offset, int(labels[row]), item, track)
                for row, item, track in zip(rows, items, tracks)]
        video = dict(file=name, **meta[0])
        if params['distractor']:
            video['distractor'] = meta[1]
        out.append(video)
    return out


def _item_meta(row, label, item, track):
    x1, y1, x2, y2 = silhouette_box(item)
    return dict(item_row=row, **{'class': label}, direction=track['direction'],
                speed=track['speed'], frame_directions=track['frame_directions'],
                boxes=[[int(x) + x1, int(y) + y1, int(x) + x2, int(y) + y2]
                       for x, y in track['corners']])
