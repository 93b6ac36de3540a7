"""The video demo: on Moving Fashion-MNIST (real Fashion-MNIST items moving
and bouncing, two labels per video), does masked distillation from a larger
VideoMAE teacher give a nano video ViT more than plain VideoMAE does, once
fine-tuned through MMAction2?

Through the stock Runner and the project's configs, one seed per pass:
  1. data: tools/data/moving_fashion_mnist.py (cached under data/), and its
     AVA 2.2 layout for spatio-temporal detection;
  2. teacher: the shipped VideoMAE teacher (SHA-256 checked; --retrain-teacher
     re-makes it with tools/make_teacher.py --recipe moving-fashion-mnist);
  3. students: the same nano student from scratch with plain VideoMAE and
     with AMD (--methods adds DMAE), same iterations, data order and seed;
  4. MMAction2 fine-tunes of random init, each student and the teacher:
     Recognizer3D on the direction of motion (8 classes, needs temporal
     order) and on the item class (10), the project's SSv2 recipe, top-1 on
     the test split (2 clips x 3 crops) after the schedule chosen on val;
     FastRCNN on the AVA-style boxes, frame mAP (MMAction2's AVAMetric);
  5. results.md / results.csv (mean ± std over seeds), loss curves, and the
     masked / reconstructed frames of each student.

``tools/demo_video.py`` is its command line (``--help``); the results are
in docs/results/video.md.
"""
import argparse
import json
import os
import os.path as osp
import time
import traceback

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from amd_mm.converters import export_file
from amd_mm.evaluation import summarise, write_csv, write_markdown
from amd_mm.visualization import plot_losses
from . import shipped
from .runs import (Progress, finish_cfg, run_options, run_with_threads, say, train_students,
                   train_with_history)
from .shipped import ROOT, make_teacher, sha256

RECIPE = 'moving-fashion-mnist'
CONFIGS = dict(
    videomae='configs/mae/videomae_vit-nano-p16_moving-fashion-mnist.py',
    amd='configs/amd/amd_vit-nano-p16_moving-fashion-mnist.py',
    dmae='configs/dmae/dmae_vit-nano-p16_moving-fashion-mnist.py',
)
LABELS = dict(videomae='VideoMAE student', amd='AMD student', dmae='DMAE student')
NEEDS_TEACHER = ('amd', 'dmae')
FINETUNE = {
    'direction': 'configs/amd/benchmarks/mmaction2/vit-nano-p16_moving-fashion-mnist_direction.py',
    'class': 'configs/amd/benchmarks/mmaction2/vit-nano-p16_moving-fashion-mnist_class.py',
}
# measured seconds on the 2 shared cores, 1 torch thread (for the ETA only)
SECONDS = dict(videomae=0.12, amd=0.25, dmae=0.22, finetune_epoch=14.0, ava_iter=0.15)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'demo_video'))
    parser.add_argument('--data', default=osp.join(ROOT, 'data', 'moving_fashion_mnist'),
                        help='Moving Fashion-MNIST folder (generated if missing)')
    parser.add_argument('--num-videos', default='2000,300,500',
                        help='train,val,test videos to generate')
    parser.add_argument('--seeds', default='0', help='comma-separated seeds')
    parser.add_argument('--methods', default='videomae,amd',
                        help=f'comma-separated students, of {sorted(CONFIGS)}')
    parser.add_argument('--iters', type=int, default=600, help='pre-training iterations per student')
    parser.add_argument('--batch-size', type=int, default=8,
                        help='videos per pre-training step (x4 views each)')
    parser.add_argument('--tasks', default='direction,class',
                        help=f'comma-separated MMAction2 recognition tasks, of {sorted(FINETUNE)}')
    parser.add_argument('--ft-epochs', type=int, default=None,
                        help="recognition fine-tune epochs (default: the configs')")
    parser.add_argument('--ava-iters', type=int, default=None,
                        help="AVA fine-tune iterations (default: the config's); 0 skips AVA")
    parser.add_argument('--teacher', default=None, help='a teacher checkpoint (no hash check)')
    parser.add_argument('--retrain-teacher', action='store_true',
                        help='re-make the teacher from scratch (make_teacher --recipe ' + RECIPE + ')')
    parser.add_argument('--teacher-iters', type=int, default=None,
                        help='with --retrain-teacher: iterations (default: its config)')
    parser.add_argument('--workers', type=int, default=1, help='dataloader workers')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads (1: more thrash on a shared 2-core machine)')
    args = parser.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(',')]
    args.methods = [m for m in args.methods.split(',') if m]
    args.tasks = [t for t in args.tasks.split(',') if t]
    args.num_videos = [int(n) for n in args.num_videos.split(',')]
    for field, values, known in (('--methods', args.methods, CONFIGS),
                                 ('--tasks', args.tasks, FINETUNE)):
        unknown = [v for v in values if v not in known]
        if unknown:
            parser.error(f'{field}: unknown {unknown}; expected some of {sorted(known)}')
    if args.ft_epochs is not None and args.ft_epochs < 2:
        parser.error(f'--ft-epochs={args.ft_epochs}: expected >= 2 (one warm-up epoch, then cosine)')
    if len(args.num_videos) != 3 or min(args.num_videos) < 1:
        parser.error(f'--num-videos={args.num_videos}: expected three positive counts '
                     'train,val,test')
    return args


# ------------------------------------------------------------------ data
def make_data(args):
    """The videos, their recognition lists and their AVA layout (cached)."""
    from amd_mm.datasets.moving_items import make_moving_fashion_mnist
    num_train, num_val, num_test = args.num_videos
    paths = make_moving_fashion_mnist(args.data, num_train=num_train, num_val=num_val,
                                      num_test=num_test)
    if args.ava_iters != 0:
        from amd_mm.datasets.moving_items_ava import make_moving_fashion_mnist_ava
        paths.update(make_moving_fashion_mnist_ava(args.data))
    return paths


def data_options(args):
    """Every split's list and video folder under ``args.data``."""
    videos = osp.join(args.data, 'videos')
    return {'train_dataloader.dataset.ann_file': osp.join(args.data, 'train_class.txt'),
            'train_dataloader.dataset.data_prefix.video': videos}


def get_teacher(args, progress):
    """The shipped teacher (hash-checked), a given one, or one re-made now."""
    if args.teacher:
        say(f'    teacher: {args.teacher} (given; no hash check)')
        return args.teacher, {}
    if not args.retrain_teacher:
        path, digest = shipped.checked_teacher(RECIPE, 'video teacher')
        say(f'    teacher: shipped {osp.relpath(path, ROOT)} (SHA-256 {digest[:12]}... checked)')
        return path, {}
    progress.stage('    teacher: VideoMAE pre-training from scratch')
    out, history = make_teacher(osp.join(args.work_dir, 'teacher'), args.data, args.teacher_iters,
                                args.workers, recipe=RECIPE)
    say(f'    teacher written to {out}, SHA-256 {sha256(out)}')
    return out, {'teacher (VideoMAE)': history}


# ------------------------------------------------------------- training
def pretrain(method, args, seed, teacher_ckpt):
    """One student from scratch; ``(checkpoint, loss history, model)``."""
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[method]))
    options = {**data_options(args), **run_options(args, args.iters, seed)}
    if method in NEEDS_TEACHER:
        options['model.teacher.checkpoint'] = teacher_ckpt
    cfg.merge_from_dict(options)
    return train_with_history(finish_cfg(cfg, osp.join(args.work_dir, f'seed{seed}', method)))


def backbone_options(kind, ckpt):
    """The recognition / detection backbone: random init (no checkpoint),
    the student's or the teacher's weights (teacher: its width and depth)."""
    options = {'model.backbone.init_cfg': None} if ckpt is None else {
        'model.backbone.init_cfg.checkpoint': ckpt}
    if kind == 'teacher':
        teacher = Config.fromfile(osp.join(ROOT, CONFIGS['amd'])).model.teacher.backbone
        options.update({'model.backbone.embed_dims': teacher.embed_dims,
                        'model.backbone.depth': teacher.depth,
                        'model.backbone.num_heads': teacher.num_heads})
    return options


def finetune_cfg(task, name, kind, ckpt, args, seed):
    """The MMAction2 fine-tune config of one encoder on one task: the task's
    config with this run's data, seed, backbone weights and epochs."""
    cfg = Config.fromfile(osp.join(ROOT, FINETUNE[task]))
    videos = osp.join(args.data, 'videos')
    options = {'randomness.seed': seed, **backbone_options(kind, ckpt)}
    for split, loader in (('train', 'train_dataloader'), ('val', 'val_dataloader'),
                          ('test', 'test_dataloader')):
        options.update({f'{loader}.dataset.ann_file': osp.join(args.data, f'{split}_{task}.txt'),
                        f'{loader}.dataset.data_prefix.video': videos,
                        f'{loader}.num_workers': args.workers,
                        f'{loader}.persistent_workers': False})
    if kind == 'teacher':
        options['model.cls_head.in_channels'] = options['model.backbone.embed_dims']
    epochs = args.ft_epochs
    if epochs:  # the cosine ends with the run (param_scheduler.end: max_epochs)
        options.update({'train_cfg.max_epochs': epochs, 'train_cfg.val_begin': epochs,
                        'train_cfg.val_interval': epochs,
                        'default_hooks.checkpoint.interval': epochs})
    cfg.merge_from_dict(options)
    return finish_cfg(cfg, osp.join(args.work_dir, f'seed{seed}', f'finetune_{task}', name))


def finetune(task, name, kind, ckpt, args, seed):
    """MMAction2 fine-tune on the train videos; top-1 (a fraction) on val
    (seen while choosing the schedule) and on test (multi-view, scored once)."""
    runner = Runner.from_cfg(finetune_cfg(task, name, kind, ckpt, args, seed))
    runner.train()
    val = float(runner.message_hub.get_scalar('val/acc/top1').current())
    test = float(runner.test()['acc/top1'])
    return val, test


def ava(name, kind, ckpt, args, seed):
    """Frame mAP (a fraction) of the AVA-style FastRCNN on val and test."""
    from amd_mm.datasets.moving_items_ava import ava_finetune
    work_dir = osp.join(args.work_dir, f'seed{seed}', 'ava', name)
    options = None
    if kind == 'teacher':
        options = backbone_options(kind, ckpt)
        options['model.roi_head.bbox_head.in_channels'] = options['model.backbone.embed_dims']
    scores = ava_finetune(ckpt, work_dir, seed, iters=args.ava_iters, data_root=args.data,
                          options=options, workers=args.workers)
    return scores['val'] / 100, scores['test'] / 100


def export_for_mmaction2(ckpt, out_dir, name):
    """The pre-trained backbone in MMAction2's layout for recognition (final
    norm as ``fc_norm``) and for detection (as ``norm``)."""
    os.makedirs(out_dir, exist_ok=True)
    return {final: export_file(ckpt, osp.join(out_dir, f'{name}_{final}.pth'), to='mmaction2',
                               final_norm=final) for final in ('fc_norm', 'norm')}


def evaluate(label, kind, ckpt, args, seed):
    """One encoder's row: fine-tunes on every task, AVA frame mAP."""
    name = label.split(' (')[0].replace(' ', '_')
    exports = (None if ckpt is None else
               export_for_mmaction2(ckpt, osp.join(args.work_dir, f'seed{seed}', 'exports'), name))
    row = {}
    for task in args.tasks:
        row[f'{task}_val'], row[task] = finetune(
            task, name, kind, exports and exports['fc_norm'], args, seed)
        say(f'    {label}: {task} top-1 {100 * row[task]:.2f}% (test), '
            f'{100 * row[f"{task}_val"]:.2f}% (val)')
    if args.ava_iters != 0:
        row['ava_map_val'], row['ava_map'] = ava(name, kind, exports and exports['norm'], args,
                                                 seed)
        say(f'    {label}: AVA-style frame mAP {100 * row["ava_map"]:.2f} (test), '
            f'{100 * row["ava_map_val"]:.2f} (val)')
    return row


# ------------------------------------------------------------- artefacts
def test_clips(args, count=3):
    """``count`` test videos as (count, 3, 8, 64, 64) float clips: 8 frames
    at stride 2, as pre-training samples them."""
    import decord
    names = [line.split()[0] for line in open(osp.join(args.data, 'test_class.txt'))][:count]
    clips = []
    for name in names:
        reader = decord.VideoReader(osp.join(args.data, 'videos', name))
        frames = reader.get_batch(list(range(0, 16, 2))).asnumpy()  # (T, H, W, 3)
        clips.append(torch.from_numpy(frames).permute(3, 0, 1, 2).float())
    return torch.stack(clips)


@torch.no_grad()
def mask_pictures(models, args, out):
    """Each student's masks and reconstruction on the same test clips and
    masks: one row per clip, the first frame of every tubelet side by side."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from amd_mm.benchmark import build_masking, masked_batch
    from amd_mm.visualization import mask_panels
    clips = test_clips(args)
    np.random.seed(args.seeds[0])
    with DefaultScope.overwrite_default_scope('mmpretrain'):  # amd_mm's transforms live there
        masking = build_masking(Config.fromfile(osp.join(ROOT, CONFIGS['amd'])))
    batch = masked_batch(masking, clips)
    paths = []
    for name, model in models.items():
        model.eval()
        data = model.data_preprocessor(dict(inputs=batch['inputs'].clone(),
                                            data_samples=batch['data_samples']), False)
        reconstruction, tokens = model.reconstruct(data['inputs'], data['data_samples'])
        pre = model.data_preprocessor
        slots = [mask_panels(data['inputs'][:, :, t:],
                             None if reconstruction is None else reconstruction[:, :, t:],
                             tokens, pre.mean.flatten().tolist(), pre.std.flatten().tolist(),
                             model.head.patch_size, scale=2)
                 for t in range(0, data['inputs'].shape[2], 2)]
        path = osp.join(out, f'masks_reconstruction_{name}.png')
        plt.imsave(path, np.concatenate(slots, axis=1))
        paths.append(path)
    return paths


METRICS = ('direction', 'class', 'ava_map', 'direction_val', 'class_val', 'ava_map_val')
TITLES = dict(direction='direction top-1 (%)', **{'class': 'class top-1 (%)'},
              ava_map='AVA-style frame mAP (%)')


def write_results(rows, failures, args, out, seconds):
    """Per-seed rows to ``results.csv``; mean ± std over seeds to ``results.md``."""
    summary = summarise(rows, [m for m in METRICS if any(m in r for r in rows)])
    columns = [(TITLES[m], m) for m in ('direction', 'class', 'ava_map')
               if any(m in r for r in rows)]
    columns += [(f'val: {TITLES[m]}', f'{m}_val') for m in ('direction', 'class', 'ava_map')
                if any(m in r for r in rows)]
    seeds = ','.join(map(str, args.seeds))
    preamble = [
        f'# amd_mm video demo on Moving Fashion-MNIST (seeds {seeds})', '',
        f'Students: {args.iters} pre-training iterations each, {args.batch_size} videos x 4 '
        f'views per step; videos train/val/test {"/".join(map(str, args.num_videos))}; '
        'MMAction2 fine-tunes with the SSv2 recipe, test top-1 over 2 clips x 3 crops; '
        f'AVA-style frame mAP from MMAction2\'s AVAMetric; {len(args.seeds)} seed(s), '
        f'mean ± std; total {seconds / 60:.1f} min.', '']
    if failures:
        preamble += [f'Failed (see the log): {", ".join(failures)}', '']
    write_csv(rows, osp.join(out, 'results.csv'))
    return write_markdown(summary, out, preamble, columns), summary


# ------------------------------------------------------------------ main
def main(argv=None):
    return run_with_threads(run, parse_args(argv))


def run(args):
    with DefaultScope.overwrite_default_scope('mmaction'):  # the caller's scope comes back
        return run_in_scope(args)


def run_in_scope(args):
    start = time.time()
    out = args.work_dir = osp.abspath(args.work_dir)
    args.data = osp.abspath(args.data)
    os.makedirs(out, exist_ok=True)
    encoders = len(args.methods) + 2
    finetune_epochs = args.ft_epochs or Config.fromfile(
        osp.join(ROOT, FINETUNE['direction'])).train_cfg.max_epochs
    per_encoder = (len(args.tasks) * finetune_epochs * SECONDS['finetune_epoch']
                   * args.num_videos[0] / 2000
                   + (SECONDS['ava_iter'] * (args.ava_iters or 300) if args.ava_iters != 0 else 0))
    per_seed = sum(SECONDS[m] * args.iters for m in args.methods) + encoders * per_encoder
    progress = Progress(per_seed * len(args.seeds))
    say(f'1/5 data: {args.data} (torch threads: {args.threads}, loader workers: {args.workers})')
    make_data(args)
    progress.stage('2/5 teacher')
    teacher_ckpt, histories = get_teacher(args, progress)

    rows, failures, models = [], [], {}
    log = dict(labels=LABELS, failures=failures, histories=histories, models=models)
    for seed in args.seeds:
        students = train_students(
            args.methods, seed, lambda m, s: pretrain(m, args, s, teacher_ckpt), progress,
            lambda m: SECONDS[m] * args.iters, log, keep=seed == args.seeds[0])
        candidates = [('random init', 'student', None)] + [
            (LABELS[m], 'student', students[m]) for m in args.methods if m in students] + [
            ('VideoMAE teacher', 'teacher', teacher_ckpt)]
        for label, kind, ckpt in candidates:
            progress.stage(f'4/5 seed {seed}: MMAction2 fine-tunes of {label}')
            try:
                row = evaluate(label, kind, ckpt, args, seed)
            except Exception:
                say(f'    fine-tuning {label} FAILED (seed {seed}):\n{traceback.format_exc()}')
                failures.append(f'fine-tuning {label} (seed {seed})')
                continue
            finally:
                progress.advance(per_encoder)
            rows.append(dict(model=label, seed=seed, params_m=params_of(kind), **row))
            write_results(rows, failures, args, out, time.time() - start)  # never lose a row

    progress.stage(f'5/5 artefacts in {out}')
    table, _ = write_results(rows, failures, args, out, time.time() - start)
    if histories:
        plot_losses(histories, osp.join(out, 'loss_curves.png'))
    with open(osp.join(out, 'loss_histories.json'), 'w') as f:
        json.dump(histories, f)
    if models:
        mask_pictures(models, args, out)
    print('\n' + table)
    say(f'done in {(time.time() - start) / 60:.1f} min: results.md, results.csv, '
        'loss_curves.png, masks_reconstruction_*.png')
    return rows


def params_of(kind):
    """Backbone parameters (M) of the student or the teacher."""
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS['amd']))
    backbone = dict(cfg.model.teacher.backbone if kind == 'teacher' else cfg.model.backbone)
    backbone.pop('feature_blocks', None)
    return sum(p.numel() for p in MODELS.build(backbone).parameters()) / 1e6
