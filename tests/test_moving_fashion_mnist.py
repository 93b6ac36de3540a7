"""Moving Fashion-MNIST: generated videos, label lists and manifest (few
videos), read back with decord and MMAction2's VideoDataset."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from amd_mm.datasets.idx_image_dataset import read_idx
from amd_mm.datasets.moving_items import (bounce_track, direction_velocity,
                                          make_moving_fashion_mnist, render,
                                          velocity_direction)
from conftest import load_tool

SMALL = dict(num_train=8, num_val=4, num_test=4, seed=3)


@pytest.fixture(scope='module')
def small(tmp_path_factory, fashion_root):
    root = str(tmp_path_factory.mktemp('mfm') / 'moving')
    paths = make_moving_fashion_mnist(root, fashion_root=fashion_root, **SMALL)
    with open(paths['manifest']) as f:
        return paths, json.load(f)


def _decode(path):
    import decord
    reader = decord.VideoReader(path, num_threads=1)
    return reader.get_batch(list(range(len(reader)))).asnumpy()


def test_label_lists_match_manifest_and_fashion_mnist(small, fashion_root):
    paths, manifest = small
    train_labels = read_idx(osp.join(fashion_root, 'train-labels-idx1-ubyte.gz'))
    test_labels = read_idx(osp.join(fashion_root, 't10k-labels-idx1-ubyte.gz'))
    for split in ('train', 'val', 'test'):
        videos = manifest['videos'][split]
        assert len(videos) == SMALL[f'num_{split}']
        for label in ('class', 'direction'):
            lines = open(paths[f'{split}_{label}']).read().splitlines()
            assert lines == [f"{split}/{i:05d}.mp4 {v[label]}" for i, v in enumerate(videos)]
        for video in videos:
            assert 0 <= video['direction'] < 8 and 0 <= video['class'] < 10
            labels = test_labels if split == 'test' else train_labels
            assert video['class'] == labels[video['item_row']]  # the real item's class


def test_item_images_never_shared_across_splits(small):
    _, manifest = small
    rows = {s: [v['item_row'] for v in manifest['videos'][s]] for s in ('train', 'val', 'test')}
    assert all(r < 55000 for r in rows['train'])  # first 55k of the idx training file
    assert all(55000 <= r < 60000 for r in rows['val'])  # its last 5k
    assert all(r < 10000 for r in rows['test'])  # t10k, another file
    for split_rows in rows.values():
        assert len(set(split_rows)) == len(split_rows)


def test_decord_reads_every_video_and_pixels_follow_the_boxes(small):
    paths, manifest = small
    for split, videos in manifest['videos'].items():
        for video in videos:
            frames = _decode(osp.join(paths['videos'], video['file']))
            assert frames.shape == (16, 64, 64, 3)
            for frame, (x1, y1, x2, y2) in zip(frames, video['boxes']):
                grey = frame[..., 0].astype(int)
                inside = grey[y1:y2, x1:x2]
                outside = grey.copy()
                outside[max(y1 - 2, 0):y2 + 2, max(x1 - 2, 0):x2 + 2] = 0
                # the silhouette is where the item is; black elsewhere (H.264 noise aside)
                assert inside.max() > 100 and outside.max() < 40, (video['file'], frame.shape)


def test_decoded_frames_equal_the_rendered_item(small, fashion_root):
    paths, manifest = small
    images = read_idx(osp.join(fashion_root, 'train-images-idx3-ubyte.gz'))
    video = manifest['videos']['train'][0]
    # a box is the item's silhouette box shifted by the item's corner
    item = images[video['item_row']]
    ys, xs = np.nonzero(item > 10)
    corners = [[(b[0] - xs.min(), b[1] - ys.min()) for b in video['boxes']]]
    expected = render([item], corners, 64)
    decoded = _decode(osp.join(paths['videos'], video['file']))
    assert np.abs(decoded.astype(int) - expected).mean() < 2.0  # crf 18: near lossless


def test_direction_label_is_the_motion_of_the_box(small):
    _, manifest = small
    checked = 0
    for videos in manifest['videos'].values():
        for video in videos:
            if set(video['frame_directions']) != {video['direction']}:
                continue  # bounced: tested on the track itself below
            boxes = np.array(video['boxes'], float)
            assert velocity_direction(boxes[-1, :2] - boxes[0, :2]) == video['direction']
            checked += 1
    assert checked >= 3


def test_direction_convention_and_bounce():
    # k=0 right, counter-clockwise on screen: 2 is up (rows decrease), 6 down
    assert np.allclose(direction_velocity(0, 2), [2, 0])
    assert np.allclose(direction_velocity(2, 2), [0, -2])
    assert np.allclose(direction_velocity(5, 1), [-np.sqrt(.5), np.sqrt(.5)])
    assert [velocity_direction(direction_velocity(k, 1.7)) for k in range(8)] == list(range(8))
    positions, velocities = bounce_track([1, 5], [-2, 1], 4, 36 - 0)
    assert np.allclose(positions, [[1, 5], [1, 6], [3, 7], [5, 8]])  # mirrored at x=0
    assert velocity_direction(velocities[0]) == 7 and velocity_direction([-2, 1]) == 5


def test_deterministic_from_seed_and_prefix_stable(small, tmp_path, fashion_root):
    paths, manifest = small
    again = make_moving_fashion_mnist(str(tmp_path / 'again'), fashion_root=fashion_root,
                                      **dict(SMALL, num_train=10))
    with open(again['manifest']) as f:
        more = json.load(f)
    # more videos keep the first ones identical (video i depends on seed, split, i only)
    assert more['videos']['train'][:8] == manifest['videos']['train']
    assert more['videos']['val'] == manifest['videos']['val']
    name = manifest['videos']['val'][1]['file']
    assert np.array_equal(_decode(osp.join(paths['videos'], name)),
                          _decode(osp.join(again['videos'], name)))
    other = make_moving_fashion_mnist(str(tmp_path / 'other'), fashion_root=fashion_root,
                                      **dict(SMALL, seed=4))
    with open(other['manifest']) as f:
        assert json.load(f)['videos']['val'] != manifest['videos']['val']


def test_cached_run_returns_without_writing(small, fashion_root):
    paths, _ = small
    video = osp.join(paths['videos'], 'train', '00000.mp4')
    before = os.stat(video).st_mtime_ns, os.stat(paths['manifest']).st_mtime_ns
    make_moving_fashion_mnist(paths['root'], fashion_root=fashion_root, **SMALL)
    assert (os.stat(video).st_mtime_ns, os.stat(paths['manifest']).st_mtime_ns) == before


def test_mmaction_video_dataset_reads_the_lists(small):
    from mmaction.datasets import VideoDataset
    from mmengine.registry import DefaultScope
    paths, manifest = small
    with DefaultScope.overwrite_default_scope('mmaction'):
        dataset = VideoDataset(
            ann_file=paths['val_direction'], data_prefix=dict(video=paths['videos']),
            pipeline=[dict(type='DecordInit', num_threads=1),
                      dict(type='SampleFrames', clip_len=8, frame_interval=2, num_clips=1),
                      dict(type='DecordDecode'),
                      dict(type='FormatShape', input_format='NCTHW'),
                      dict(type='PackActionInputs')])
        sample = dataset[1]
    assert len(dataset) == SMALL['num_val']
    assert tuple(sample['inputs'].shape) == (1, 3, 8, 64, 64)
    assert int(sample['data_samples'].gt_label) == manifest['videos']['val'][1]['direction']


def test_distractor_adds_a_second_item(tmp_path, fashion_root):
    paths = make_moving_fashion_mnist(str(tmp_path / 'd'), num_train=2, num_val=1, num_test=1,
                                      distractor=True, fashion_root=fashion_root)
    video = json.load(open(paths['manifest']))['videos']['train'][0]
    assert video['distractor']['item_row'] != video['item_row']
    assert len(video['distractor']['boxes']) == 16
    assert _decode(osp.join(paths['videos'], video['file'])).shape == (16, 64, 64, 3)


def test_cli(tmp_path, fashion_root):
    tool = load_tool('tools/data/moving_fashion_mnist.py')
    paths = tool.main(['--out', str(tmp_path / 'cli'), '--num-train', '2', '--num-val', '1',
                       '--num-test', '1', '--fashion-root', fashion_root])
    assert open(paths['test_class']).read().count('\n') == 1


@pytest.mark.parametrize('field, value', [('num_train', 0), ('frames', 1), ('size', 30),
                                          ('speed_range', (3, 1)), ('seed', -1)])
def test_bad_arguments_name_the_field(tmp_path, field, value):
    with pytest.raises(ValueError, match=field):
        make_moving_fashion_mnist(str(tmp_path / 'bad'), **{field: value})


def test_too_many_videos_for_the_split(tmp_path, fashion_root):
    with pytest.raises(ValueError, match='num_val=5001'):
        make_moving_fashion_mnist(str(tmp_path / 'big'), num_train=1, num_val=5001, num_test=1,
                                  fashion_root=fashion_root)


# ----------------------------------------------------------- AVA layout
@pytest.fixture(scope='module')
def ava(small):
    from amd_mm.datasets.moving_items_ava import make_moving_fashion_mnist_ava
    paths, manifest = small
    return paths, manifest, make_moving_fashion_mnist_ava(paths['root'])


def _csv(path):
    return [line.split(',') for line in open(path).read().splitlines()]


def test_ava_rawframes_are_the_decoded_videos(ava):
    import cv2
    paths, manifest, ava_paths = ava
    for idx, video in enumerate(manifest['videos']['val']):
        frame_dir = osp.join(ava_paths['ava_rawframes'], f'val_{idx:05d}')
        assert sorted(os.listdir(frame_dir)) == [f'img_{i:05d}.jpg' for i in range(1, 17)]
        decoded = _decode(osp.join(paths['videos'], video['file']))
        for i in (1, 9, 16):
            jpeg = cv2.imread(osp.join(frame_dir, f'img_{i:05d}.jpg'))[..., ::-1]
            assert np.abs(jpeg.astype(int) - decoded[i - 1]).mean() < 2.0


def test_ava_csv_boxes_actions_and_exclusions(ava):
    from amd_mm.datasets.moving_items_ava import KEYFRAMES, keyframe_direction
    _, manifest, ava_paths = ava
    for split, videos in manifest['videos'].items():
        rows = {(r[0], int(r[1])): r for r in _csv(ava_paths[f'ava_{split}'])}
        excluded = {(r[0], int(r[1])) for r in _csv(ava_paths[f'ava_{split}_excluded'])}
        assert len(rows) + len(excluded) == len(videos) * len(KEYFRAMES)
        assert not set(rows) & excluded
        for idx, video in enumerate(videos):
            for t in KEYFRAMES:
                key = (f'{split}_{idx:05d}', t)
                direction = keyframe_direction(video, t)
                assert (key in excluded) == (direction is None)
                if direction is None:
                    continue
                row = rows[key]
                assert np.allclose([float(c) * 64 for c in row[2:6]], video['boxes'][t],
                                   atol=0.04)
                assert (int(row[6]), int(row[7])) == (direction + 1, 0)


def test_keyframe_direction_excludes_bounces():
    from amd_mm.datasets.moving_items_ava import keyframe_direction
    # bounces between frames 2 and 3: neither has one direction of motion
    item = dict(direction=0, frame_directions=[0, 0, 4, 4, 4, 4])
    assert [keyframe_direction(item, t) for t in (1, 2, 3, 4)] == [0, None, None, 4]
    # a bounce in the very first step
    assert keyframe_direction(dict(direction=2, frame_directions=[6] * 4), 1) is None
    assert keyframe_direction(dict(direction=6, frame_directions=[6] * 4), 1) == 6


def test_ava_dataset_and_proposals_load(ava):
    from mmaction.datasets import AVADataset
    from mmengine.registry import DefaultScope
    _, manifest, ava_paths = ava
    pipeline = [dict(type='SampleAVAFrames', clip_len=8, frame_interval=2, test_mode=True),
                dict(type='RawFrameDecode')]
    with DefaultScope.overwrite_default_scope('mmaction'):
        dataset = AVADataset(
            ann_file=ava_paths['ava_train'], exclude_file=ava_paths['ava_train_excluded'],
            label_file=ava_paths['ava_label_map'], proposal_file=ava_paths['ava_train_proposals'],
            data_prefix=dict(img=ava_paths['ava_rawframes']), pipeline=pipeline,
            num_classes=9, fps=1, timestamp_start=0, timestamp_end=16, test_mode=True)
        rows = _csv(ava_paths['ava_train'])
        assert len(dataset) == len({(r[0], r[1]) for r in rows}) > 0
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            assert info['gt_labels'].shape == (1, 9) and info['gt_labels'][0, 0] == 0
            assert 0 <= info['proposals'].min() and info['proposals'].max() <= 1
            assert info['scores'].min() >= 0.9  # person_det_score_thr keeps the item's
            # the item's jittered box is among them (false ones may outscore it)
            assert max(_iou(p, info['gt_bboxes'][0]) for p in info['proposals']) > 0.5
        sample = dataset[0]
    assert sample['imgs'][0].shape == (64, 64, 3) and len(sample['imgs']) == 8
    assert sample['frame_inds'].min() >= 1 and sample['frame_inds'].max() <= 16
    # the clip is around the keyframe (MMAction2 adds start_index twice: t-6 .. t+8)
    assert list(sample['frame_inds']) == list(range(sample['timestamp'] - 6,
                                                    sample['timestamp'] + 9, 2))


def _iou(a, b):
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    return w * h / (area - w * h)


def test_ava_ground_truth_scores_full_map_with_mmaction_evaluation(ava):
    from mmaction.evaluation import read_labelmap
    from mmaction.evaluation.functional import ava_eval
    _, _, ava_paths = ava
    labels, ids = read_labelmap(open(ava_paths['ava_label_map']))
    assert ids == set(range(1, 9)) and labels[0]['name'] == 'move right'
    # the ground truth as detections (8th column read as the score): every box found
    result = ava_eval(ava_paths['ava_val'], 'mAP', ava_paths['ava_label_map'],
                      ava_paths['ava_val'], ava_paths['ava_val_excluded'], verbose=False)
    assert result['overall'] == pytest.approx(1.0)


def test_ava_layout_is_cached(ava):
    from amd_mm.datasets.moving_items_ava import make_moving_fashion_mnist_ava
    paths, _, ava_paths = ava
    before = os.stat(ava_paths['ava_manifest']).st_mtime_ns
    assert make_moving_fashion_mnist_ava(paths['root']) == ava_paths
    assert os.stat(ava_paths['ava_manifest']).st_mtime_ns == before
    with pytest.raises(ValueError, match='keyframes'):
        make_moving_fashion_mnist_ava(paths['root'], keyframes=(0, 7))


def test_ava_distractor_is_a_second_entity(tmp_path, fashion_root):
    from amd_mm.datasets.moving_items_ava import (keyframe_direction,
                                                  make_moving_fashion_mnist_ava)
    paths = make_moving_fashion_mnist(str(tmp_path / 'd'), num_train=4, num_val=1, num_test=1,
                                      distractor=True, fashion_root=fashion_root)
    ava_paths = make_moving_fashion_mnist_ava(paths['root'])
    videos = json.load(open(paths['manifest']))['videos']['train']
    rows = _csv(ava_paths['ava_train'])
    assert rows and {r[7] for r in rows} == {'0', '1'}
    for row in rows:
        video = videos[int(row[0].split('_')[1])]
        item = video if row[7] == '0' else video['distractor']
        assert int(row[6]) == keyframe_direction(item, int(row[1])) + 1
