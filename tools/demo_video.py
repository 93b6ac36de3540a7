#!/usr/bin/env python
"""The video demo: on the real clips of data/videos, does masked distillation
give a tiny video ViT a sense of time that plain VideoMAE does not?

Through the stock Runner and the same video configs as paper-scale runs:
  1. split each video by time (first 75% of its frames: pre-training and
     probe training; last 25%: unseen test footage), cut with PyAV into
     work_dir/clips/ (downscaled to 128 px high);
  2. pre-train a tiny video teacher with VideoMAE (cached: reused next time);
  3. pre-train the same nano student from scratch twice, plain VideoMAE and
     AMD from that teacher, same iterations and schedule;
  4. evaluate the random student, both students and the teacher on the
     *arrow of time*: is an 8-frame clip (stride 2) played forward (0) or
     time-reversed (1)? A linear probe on frozen features of train-part clips
     is tested on clips from the unseen test parts;
  5. write results.md / results.csv and loss curves, and print the table.

The feature is order-sensitive on purpose: the unmasked backbone's tokens
before pooling, reshaped (T', H', W', C), averaged over space only, then
concatenated over the T' time slots. Mean pooling over time (the usual clip
feature) sums the same content whichever way the clip is played: a reversed
clip only swaps which time slot each tubelet lands in (and the frame order
inside a tubelet), so the pooled feature barely moves and the linear probe
would measure the pooling, not the encoder. Keeping the slots apart lets a
linear probe compare early and late features, i.e. read the direction.

    python tools/demo_video.py              # defaults: about 10 min on 2 shared cores
    python tools/demo_video.py --iters 600 --teacher-iters 800 --seed 1
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import time

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools'))

import amd_mm  # noqa: E402,F401
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from amd_mm.evaluation import linear_probe  # noqa: E402
from amd_mm.models.teachers import load_vit_checkpoint  # noqa: E402
from demo import finish_cfg, plot_losses, run_options, train_with_history, write_table  # noqa: E402,E501

CONFIGS = dict(
    teacher='configs/mae/videomae_vit-micro-p16_videos.py',
    videomae='configs/mae/videomae_vit-nano-p16_videos.py',
    amd='configs/amd/amd_vit-nano-p16_videos.py',
)
# clips per video per step: the configs' RepeatedViews.num_views
VIEWS = Config.fromfile(osp.join(ROOT, CONFIGS['amd'])).num_views
VIDEOS = ('bikes.mp4', 'carphone_pristine.mp4', 'bigbuckbunny.mp4')
CLIP_LEN, STRIDE, IMG = 8, 2, 112
SPAN = (CLIP_LEN - 1) * STRIDE + 1


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'demo_video'))
    parser.add_argument('--data', default=osp.join(ROOT, 'data', 'videos'),
                        help='folder with the sample videos (fetched if missing)')
    parser.add_argument('--teacher-iters', type=int, default=1000)
    parser.add_argument('--iters', type=int, default=800, help='pre-training iterations per student')
    parser.add_argument('--batch-size', type=int, default=1,
                        help="videos per step; the configs' RepeatedViews makes "
                        '4 clips of each (default: 4 clips per step)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--train-clips', type=int, default=40,
                        help='probe-training clips per video (x3 crops, x2 directions)')
    parser.add_argument('--test-step', type=int, default=1,
                        help='frames between test clip starts (1: every start in the test part)')
    parser.add_argument('--workers', type=int, default=1, help='dataloader workers')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads (1 is fastest for these tiny models on a '
                        'shared 2-core machine: more threads thrash under contention)')
    return parser.parse_args(argv)


def say(message):
    print(f'[demo_video {time.strftime("%H:%M:%S")}] {message}', flush=True)


# ------------------------------------------------------------------ data
def cut_videos(src_dir, out_dir, train_fraction=0.75, height=128):
    """Cut every video at ``train_fraction`` of its frames into
    ``<name>_train.mp4`` / ``<name>_test.mp4`` (downscaled to ``height``) and
    write ``train_list.txt`` (train parts only, MMAction2 format)."""
    import av
    os.makedirs(out_dir, exist_ok=True)
    parts = {}
    for label, name in enumerate(VIDEOS):
        stem = osp.splitext(name)[0]
        paths = {split: osp.join(out_dir, f'{stem}_{split}.mp4') for split in ('train', 'test')}
        parts[stem] = paths
        if all(osp.isfile(p) for p in paths.values()):
            continue
        with av.open(osp.join(src_dir, name)) as container:
            stream = container.streams.video[0]
            rate = stream.average_rate
            frames = [f.to_ndarray(format='rgb24') for f in container.decode(stream)]
        cut = int(round(len(frames) * train_fraction))
        h, w = frames[0].shape[:2]
        width = int(round(w * height / h / 2)) * 2
        for split, chunk in (('train', frames[:cut]), ('test', frames[cut:])):
            with av.open(paths[split], 'w') as out:
                video = out.add_stream('libx264', rate=rate)
                video.width, video.height, video.pix_fmt = width, height, 'yuv420p'
                video.options = {'crf': '18'}
                for array in chunk:
                    frame = av.VideoFrame.from_ndarray(array, format='rgb24').reformat(
                        width=width, height=height)
                    for packet in video.encode(frame):
                        out.mux(packet)
                for packet in video.encode():
                    out.mux(packet)
    with open(osp.join(out_dir, 'train_list.txt'), 'w') as f:
        f.writelines(f'{osp.basename(p["train"])} {label}\n'
                     for label, p in enumerate(parts.values()))
    return parts


def read_frames(path):
    import av
    with av.open(path) as container:
        return np.stack([f.to_ndarray(format='rgb24') for f in container.decode(video=0)])


def square_crops(frames, positions):
    """(T, H, W, 3) uint8 -> one (T, 3, IMG, IMG) float tensor per crop
    position (0: left/top, 0.5: centre, 1: right/bottom of the long side)."""
    import torch.nn.functional as F
    t, h, w, _ = frames.shape
    side = min(h, w)
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
    crops = []
    for pos in positions:
        top, left = int(round((h - side) * pos)), int(round((w - side) * pos))
        crop = x[:, :, top:top + side, left:left + side]
        crops.append(F.interpolate(crop, size=(IMG, IMG), mode='bilinear', align_corners=False))
    return crops


def arrow_of_time_clips(parts, split, args):
    """Clips (N, 3, T, H, W) of 8 frames at stride 2 from the ``split`` part
    of each video, each forward (label 0) and time-reversed (label 1)."""
    clips = []
    rng = np.random.RandomState(args.seed)
    for paths in parts.values():
        video = square_crops(read_frames(paths[split]), (0.0, 0.5, 1.0) if split == 'train'
                             else (0.5,))
        last = video[0].shape[0] - SPAN
        if split == 'train':
            starts = np.sort(rng.randint(0, last + 1, size=args.train_clips))
        else:
            starts = np.arange(0, last + 1, args.test_step)
        for crop in video:
            for s in starts:
                clips.append(crop[s:s + SPAN:STRIDE].permute(1, 0, 2, 3))
    clips = torch.stack(clips)
    inputs = torch.cat([clips, clips.flip(2)])
    labels = torch.cat([torch.zeros(len(clips)), torch.ones(len(clips))]).long()
    return inputs, labels


# ------------------------------------------------------------- training
def load_cfg(name, work_dir, args, iters, **options):
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[name]))
    clips = osp.join(args.work_dir, 'clips')
    cfg.merge_from_dict({
        'train_dataloader.dataset.ann_file': osp.join(clips, 'train_list.txt'),
        'train_dataloader.dataset.data_prefix.video': clips,
        **run_options(args, iters), **options})
    return finish_cfg(cfg, work_dir)


def pretrain(name, args, iters, teacher_ckpt=None):
    options = {'model.teacher.checkpoint': teacher_ckpt} if name == 'amd' else {}
    ckpt, history, _ = train_with_history(
        load_cfg(name, osp.join(args.work_dir, name), args, iters, **options))
    return ckpt, history


def build_backbone(kind, ckpt):
    """The pre-trained (or random) encoder as a MaskedVideoViT, loaded
    strictly (the teacher as FrozenTeacher would load it)."""
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS['amd']))
    backbone_cfg = dict(cfg.model.teacher.backbone if kind == 'teacher' else cfg.model.backbone)
    backbone_cfg['feature_blocks'] = ()
    torch.manual_seed(0)
    backbone = MODELS.build(backbone_cfg)
    backbone.init_weights()
    if ckpt is not None:
        load_vit_checkpoint(backbone, ckpt)
    return backbone.eval(), cfg.data_preprocessor


@torch.no_grad()
def time_features(backbone, clips, mean, std, batch_size=32):
    """Order-sensitive clip features: all tokens of the unmasked forward,
    (B, T'*H'*W', C) -> (B, T', H'*W', C), mean over space, flattened over
    the T' time slots -> (B, T'*C)."""
    mean = torch.as_tensor(mean).view(1, 3, 1, 1, 1)
    std = torch.as_tensor(std).view(1, 3, 1, 1, 1)
    slots = CLIP_LEN // 2  # 2-frame tubelets: T' = 4 time slots
    chunks = []
    for start in range(0, len(clips), batch_size):
        x = (clips[start:start + batch_size] - mean) / std
        tokens = backbone.forward_tokens(x).latent
        b, n, c = tokens.shape
        chunks.append(tokens.view(b, slots, n // slots, c).mean(2).flatten(1))
    return torch.cat(chunks)


def write_results(rows, args, out, seconds, sizes):
    preamble = [f'# amd_mm video demo: arrow of time on the real clips (seed {args.seed})', '',
                f'Teacher: {args.teacher_iters} VideoMAE iterations; students: {args.iters} '
                f'iterations each, batch {args.batch_size} video(s) x {VIEWS} views of {CLIP_LEN} frames '
                f'(stride {STRIDE}) at {IMG}x{IMG}, first 75% of each video. Linear probe '
                f'(forward vs reversed) on {sizes[0]} train-part clips, tested on {sizes[1]} '
                f'clips of the unseen last 25%; total {seconds:.0f} s.', '']
    return write_table(rows, out, preamble, [('probe train acc (%)', 'train_acc'),
                                            ('arrow-of-time test acc (%)', 'arrow_of_time')])


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    out = args.work_dir = osp.abspath(args.work_dir)
    os.makedirs(out, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return run(args, out, start)
    finally:
        torch.set_num_threads(threads)


def run(args, out, start):
    init_default_scope('mmaction')
    total = 5
    say(f'1/{total} data: splitting {args.data} by time into {out}/clips')
    if not all(osp.isfile(osp.join(args.data, v)) for v in VIDEOS):
        sys.path.insert(0, osp.join(ROOT, 'tools', 'data'))
        import fetch_data
        fetch_data.fetch_videos(osp.dirname(args.data))
    parts = cut_videos(args.data, osp.join(out, 'clips'))

    histories = {}
    teacher_ckpt = osp.join(out, 'teacher', f'teacher_{args.teacher_iters}it_seed{args.seed}.pth')
    if osp.isfile(teacher_ckpt):
        say(f'2/{total} teacher: reusing cached {teacher_ckpt}')
        cached = osp.splitext(teacher_ckpt)[0] + '_losses.json'
        if osp.isfile(cached):
            histories['teacher (VideoMAE)'] = json.load(open(cached))
    else:
        say(f'2/{total} teacher: VideoMAE pre-training, {args.teacher_iters} iterations')
        ckpt, histories['teacher (VideoMAE)'] = pretrain('teacher', args, args.teacher_iters)
        shutil.copy(ckpt, teacher_ckpt)
        json.dump(histories['teacher (VideoMAE)'],
                  open(osp.splitext(teacher_ckpt)[0] + '_losses.json', 'w'))

    students = {}
    for index, method in enumerate(('videomae', 'amd'), 1):
        say(f'3/{total} student {index}/2: {method}, {args.iters} iterations')
        students[method], histories[f'student ({method})'] = pretrain(
            method, args, args.iters, teacher_ckpt)

    say(f'4/{total} evaluation: arrow of time (forward vs reversed), linear probe')
    train_x, train_y = arrow_of_time_clips(parts, 'train', args)
    test_x, test_y = arrow_of_time_clips(parts, 'test', args)
    say(f'    {len(train_x)} probe-training clips (train parts), {len(test_x)} test clips '
        '(unseen test parts), half of each reversed')
    candidates = [('random student', None, 'student'),
                  ('VideoMAE student', students['videomae'], 'student'),
                  ('AMD student', students['amd'], 'student'),
                  ('VideoMAE teacher', teacher_ckpt, 'teacher')]
    rows = []
    for label, ckpt, kind in candidates:
        backbone, pre = build_backbone(kind, ckpt)
        feats_train = time_features(backbone, train_x, pre['mean'], pre['std'])
        feats_test = time_features(backbone, test_x, pre['mean'], pre['std'])
        train_acc = linear_probe(feats_train, train_y, feats_train, train_y)
        test_acc = linear_probe(feats_train, train_y, feats_test, test_y)
        params = sum(p.numel() for p in backbone.parameters()) / 1e6
        rows.append(dict(model=label, params_m=params, train_acc=train_acc,
                         arrow_of_time=test_acc))
        say(f'    {label}: probe train {100 * train_acc:.2f}%, test {100 * test_acc:.2f}%')

    say(f'5/{total} artefacts in {out}')
    plot_losses(histories, osp.join(out, 'loss_curves.png'))
    table = write_results(rows, args, out, time.time() - start, (len(train_x), len(test_x)))
    print('\n' + table)
    say(f'done in {time.time() - start:.0f} s: results.md, results.csv, loss_curves.png')
    return rows


if __name__ == '__main__':
    main()
