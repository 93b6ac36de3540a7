"""Moving Fashion-MNIST as AVA 2.2 spatio-temporal action detection: the
files MMAction2's ``AVADataset`` and ``AVAMetric`` read, made from the
videos of :func:`make_moving_fashion_mnist`, and a fine-tune through the
stock Runner (:func:`ava_finetune`).

Layout under ``root/ava`` (AVA's names; ``{split}`` is train, val, test)::

    rawframes/{video_id}/img_00001.jpg ... img_00016.jpg
    annotations/ava_{split}_v2.2.csv
    annotations/ava_{split}_excluded_timestamps_v2.2.csv
    annotations/ava_dense_proposals_{split}.jittered_gt.pkl
    annotations/ava_action_list_v2.2.pbtxt

What is AVA and what is ours:

* Frames: each mp4 decoded with decord and written as JPEG, numbered from 1
  (``start_index=1``), ``video_id`` is ``{split}_{idx:05d}``.
* Time: AVA counts timestamps in seconds (30 fps, keyframes once a second
  from 902 to 1798); a 16-frame clip has no room for that, so timestamps
  count *frames*, MMAction2's documented ``fps=1`` mode (as for MultiSports):
  ``timestamp`` t is 0-based frame t, file ``img_{t+1:05d}.jpg``, with
  ``timestamp_start=0`` and ``timestamp_end=frames``. Keyframes default to
  t = 7 and 8: ``SampleAVAFrames`` with 8 frames at stride 2 (the sampling
  of the video pre-training configs) then takes files t-6, t-4 .. t+8,
  inside the 16 frames (MMAction2 adds ``start_index`` twice, so its clip
  sits one frame after the keyframe-centred one). For clips at stride 1,
  keyframes (3, 7, 11) fit (files t-2 .. t+5).
* Boxes and actions (CSV rows ``video_id,timestamp,x1,y1,x2,y2,action,
  entity``, boxes normalised to [0, 1], 3 decimals as AVA): one box per
  keyframe per item, the item's visible silhouette at that frame, action =
  1 + the direction the item moves in at that frame (the same from frame
  t-1 to t and from t to t+1, see :func:`keyframe_direction`), so 8
  actions, ids 1..8, plus MMAction2's background index 0:
  ``num_classes=9``. The entity id is 0 (1 for the optional distractor).
* Excluded timestamps: AVA lists keyframes that have no usable label; ours
  are the keyframes where an item bounces on the way into or out of the
  keyframe (its motion there has two directions). They have no CSV rows.
* Proposals: AVA's come from a person detector (FAIR's Faster R-CNN); we
  have no item detector, so per keyframe the proposals are each item's box
  jittered (every side moved by up to ``jitter`` of the box size, score
  drawn in [0.9, 1)) plus ``false_proposals`` random boxes with scores in
  [0.3, 0.95): most fall below ``person_det_score_thr=0.9`` as weak
  detections do, a few pass and must get low action scores.
* Label map: a pbtxt in the format of AVA's
  ``ava_action_list_v2.2_for_activitynet_2019.pbtxt`` (``item { name:
  "move right" id: 1 }``); MMAction2's evaluation counts ids <= 14 as
  "person movement", so all 8 fall there.
"""
import json
import os
import os.path as osp
import pickle
import shutil
import time

import numpy as np

from .moving_items import DIRECTIONS, SPLITS

KEYFRAMES = (7, 8)
FORMAT_VERSION = 1
CONFIG = 'amd/benchmarks/mmaction2/vit-nano-p16_moving-fashion-mnist_ava.py'


def ava_paths(root: str) -> dict:
    """Where the AVA files of a Moving Fashion-MNIST ``root`` are."""
    ava = osp.join(root, 'ava')
    anno = osp.join(ava, 'annotations')
    paths = dict(ava=ava, ava_rawframes=osp.join(ava, 'rawframes'), ava_annotations=anno,
                 ava_label_map=osp.join(anno, 'ava_action_list_v2.2.pbtxt'),
                 ava_manifest=osp.join(ava, 'manifest.json'))
    for split in SPLITS:
        paths[f'ava_{split}'] = osp.join(anno, f'ava_{split}_v2.2.csv')
        paths[f'ava_{split}_excluded'] = osp.join(
            anno, f'ava_{split}_excluded_timestamps_v2.2.csv')
        paths[f'ava_{split}_proposals'] = osp.join(
            anno, f'ava_dense_proposals_{split}.jittered_gt.pkl')
    return paths


def make_moving_fashion_mnist_ava(root: str = 'data/moving_fashion_mnist',
                                  keyframes=KEYFRAMES, false_proposals: int = 3,
                                  jitter: float = 0.1, jpeg_quality: int = 95,
                                  verbose: bool = False) -> dict:
    """Write (or find cached) the AVA 2.2 layout of the videos under
    ``root`` (made first by :func:`make_moving_fashion_mnist`); see the
    module docstring for what is AVA's and what is ours.

    Args:
        root: the Moving Fashion-MNIST folder (its ``manifest.json``).
        keyframes: 0-based frame indices annotated in every video.
        false_proposals: random proposals per keyframe besides the items'.
        jitter: largest move of a proposal's side, as a fraction of the
            item box's width/height.
        jpeg_quality: of the extracted frames.

    Returns:
        dict of paths (keys of :func:`ava_paths`).
    """
    manifest_path = osp.join(root, 'manifest.json')
    if not osp.isfile(manifest_path):
        raise FileNotFoundError(f'make_moving_fashion_mnist_ava: root={root!r} has no '
                                'manifest.json; run make_moving_fashion_mnist first')
    with open(manifest_path) as f:
        manifest = json.load(f)
    frames = manifest['params']['frames']
    keyframes = tuple(int(k) for k in keyframes)
    if not keyframes or min(keyframes) < 1 or max(keyframes) > frames - 2:
        raise ValueError(f'make_moving_fashion_mnist_ava: keyframes={keyframes} must be '
                         f'frame indices in [1, {frames - 2}] (a motion before and after)')
    if not 0 <= jitter < 0.5 or false_proposals < 0:
        raise ValueError('make_moving_fashion_mnist_ava: expected 0 <= jitter < 0.5 and '
                         f'false_proposals >= 0, got jitter={jitter}, '
                         f'false_proposals={false_proposals}')
    params = dict(format_version=FORMAT_VERSION, videos=manifest['params'],
                  keyframes=list(keyframes), false_proposals=false_proposals, jitter=jitter,
                  jpeg_quality=jpeg_quality)
    paths = ava_paths(root)
    if _cached(paths, params):
        return paths

    start = time.time()
    shutil.rmtree(paths['ava'], ignore_errors=True)  # ours only: root/ava
    os.makedirs(paths['ava_annotations'])
    _write_label_map(paths['ava_label_map'])
    size = manifest['params']['size']
    for split in SPLITS:
        rng = np.random.default_rng([manifest['params']['seed'], 7, SPLITS.index(split)])
        rows, excluded, proposals = [], [], {}
        for idx, video in enumerate(manifest['videos'][split]):
            video_id = f'{split}_{idx:05d}'
            _extract_frames(osp.join(root, 'videos', video['file']),
                            osp.join(paths['ava_rawframes'], video_id), jpeg_quality)
            items = [video] + ([video['distractor']] if 'distractor' in video else [])
            for t in keyframes:
                key = f'{video_id},{t:04d}'
                actions = [keyframe_direction(item, t) for item in items]
                if None in actions:
                    excluded.append(key)
                    continue
                boxes = np.array([item['boxes'][t] for item in items], float) / size
                rows += [f'{key},' + ','.join(f'{c:.3f}' for c in box) +
                         f',{action + 1},{entity}'
                         for entity, (action, box) in enumerate(zip(actions, boxes))]
                proposals[key] = _proposals(rng, boxes, false_proposals, jitter)
        for path, lines in ((paths[f'ava_{split}'], rows),
                            (paths[f'ava_{split}_excluded'], excluded)):
            with open(path, 'w') as f:
                f.writelines(line + '\n' for line in lines)
        with open(paths[f'ava_{split}_proposals'], 'wb') as f:
            pickle.dump(proposals, f)
        if verbose:
            print(f'  ava {split}: {len(rows)} boxes, {len(excluded)} excluded keyframes '
                  f'({time.time() - start:.1f} s)')
    with open(paths['ava_manifest'], 'w') as f:  # last: marks a complete cache
        json.dump(dict(params=params), f)
    return paths


def keyframe_direction(item: dict, t: int):
    """The direction (0..7) an item moves in at frame ``t``: the same on the
    way in (frame t-1 -> t) and out (t -> t+1); None when it bounces in
    either step (two directions there)."""
    # velocity direction before each step s: the initial one, then the one
    # left after each step (``frame_directions``)
    before = [item['direction']] + list(item['frame_directions'])
    return before[t] if before[t - 1] == before[t] == before[t + 1] else None


def _cached(paths, params) -> bool:
    try:
        with open(paths['ava_manifest']) as f:
            return json.load(f)['params'] == params
    except (OSError, ValueError, KeyError):
        return False


def _write_label_map(path):
    with open(path, 'w') as f:
        for action, name in enumerate(DIRECTIONS, 1):
            f.write(f'item {{\n  name: "move {name}"\n  id: {action}\n}}\n')


def _extract_frames(video_path, out_dir, quality):
    """img_00001.jpg ... from the encoded video (as AVA's frames are)."""
    import cv2
    import decord
    os.makedirs(out_dir, exist_ok=True)
    frames = decord.VideoReader(video_path, num_threads=1)
    for i, frame in enumerate(frames.get_batch(list(range(len(frames)))).asnumpy(), 1):
        cv2.imwrite(osp.join(out_dir, f'img_{i:05d}.jpg'), frame[..., ::-1],
                    [cv2.IMWRITE_JPEG_QUALITY, quality])


def _proposals(rng, boxes, false_proposals, jitter):
    """(n, 5) [x1, y1, x2, y2, score] in [0, 1]: the boxes jittered with high
    scores, then random boxes with lower ones (see the module docstring)."""
    wh = np.tile(boxes[:, 2:] - boxes[:, :2], 2)
    found = boxes + rng.uniform(-jitter, jitter, boxes.shape) * wh
    scores = rng.uniform(0.9, 1.0, (len(boxes), 1))
    centre = rng.uniform(0.15, 0.85, (false_proposals, 2))
    half = rng.uniform(0.1, 0.3, (false_proposals, 2))
    false = np.concatenate([centre - half, centre + half], axis=1)
    false_scores = rng.uniform(0.3, 0.95, (false_proposals, 1))
    out = np.concatenate([np.concatenate([found, scores], 1),
                          np.concatenate([false, false_scores], 1)])
    out[:, :4] = np.clip(out[:, :4], 0, 1)
    return out[np.argsort(-out[:, 4])].astype(np.float32)  # by score, as a detector's


def ava_finetune(checkpoint=None, work_dir='work_dirs/moving_fashion_mnist_ava', seed=0,
                 iters=None, data_root='data/moving_fashion_mnist', options=None,
                 workers=0, config=None) -> dict:
    """Fine-tune the AVA-style detector (FastRCNN + RoI head on the nano
    video ViT) on Moving Fashion-MNIST through the stock Runner; frame mAP
    (MMAction2's ``AVAMetric``, 'mAP/overall', in %) on val at the end of
    training and on test once.

    Args:
        checkpoint: MMAction2-layout backbone weights with the final norm as
            ``norm`` (``tools/convert_checkpoint.py PRE.pth OUT.pth --to
            mmaction2 --final-norm norm``); None: random init.
        work_dir, seed: the run's.
        iters: training iterations (None: the config's).
        data_root: a folder made by :func:`make_moving_fashion_mnist` and
            :func:`make_moving_fashion_mnist_ava`.
        options: more ``--cfg-options``-style keys (e.g. another backbone).
        workers: dataloader workers.
        config: another AVA-style config (None: the project's, see
            :func:`config_path`).

    Returns:
        dict(val=..., test=...) frame mAP in %.
    """
    from mmengine.config import Config
    from mmengine.runner import Runner

    if not osp.isfile(ava_paths(data_root)['ava_manifest']):
        raise FileNotFoundError(f'ava_finetune: data_root={data_root!r} has no AVA layout; '
                                'run make_moving_fashion_mnist_ava first')
    cfg = Config.fromfile(config or config_path())
    merged = data_options(data_root)
    merged.update({'randomness.seed': seed, 'work_dir': work_dir, 'launcher': 'none',
                   'model.backbone.init_cfg': None if checkpoint is None else dict(
                       type='Pretrained', checkpoint=checkpoint, prefix='backbone.')})
    if iters is not None:
        merged.update({'train_cfg.max_iters': iters, 'train_cfg.val_interval': iters})
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        merged.update({f'{loader}.num_workers': workers,
                       f'{loader}.persistent_workers': workers > 0})
    merged.update(options or {})
    cfg.merge_from_dict(merged)
    runner = Runner.from_cfg(cfg)
    runner.train()
    val = float(runner.message_hub.get_scalar('val/mAP/overall').current())
    test = float(runner.test()['mAP/overall'])
    return dict(val=100 * val, test=100 * test)


def config_path() -> str:
    """The project's AVA-style config (works in the repository and installed)."""
    return osp.join(osp.dirname(osp.abspath(__file__)), '..', '.mim', 'configs', CONFIG)


def data_options(data_root: str) -> dict:
    """The AVA config's data keys pointed at ``data_root``'s AVA files."""
    paths = ava_paths(data_root)
    out = {}
    for loader, split in (('train_dataloader', 'train'), ('val_dataloader', 'val'),
                          ('test_dataloader', 'test')):
        out.update({f'{loader}.dataset.ann_file': paths[f'ava_{split}'],
                    f'{loader}.dataset.exclude_file': paths[f'ava_{split}_excluded'],
                    f'{loader}.dataset.proposal_file': paths[f'ava_{split}_proposals'],
                    f'{loader}.dataset.label_file': paths['ava_label_map'],
                    f'{loader}.dataset.data_prefix.img': paths['ava_rawframes']})
    for evaluator, split in (('val_evaluator', 'val'), ('test_evaluator', 'test')):
        out.update({f'{evaluator}.ann_file': paths[f'ava_{split}'],
                    f'{evaluator}.exclude_file': paths[f'ava_{split}_excluded'],
                    f'{evaluator}.label_file': paths['ava_label_map']})
    return out
