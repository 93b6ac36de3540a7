"""The image demo (the main job): on real Fashion-MNIST, what masked distillation from a
better teacher gives a small ViT that plain masked autoencoding does not.

Through the stock Runner and the same configs as paper-scale runs:
  1. fetch Fashion-MNIST (if missing); splits: train 55k (pre-training and
     probes), val 5k (every evaluation choice), test 10k (final numbers only);
  2. the teacher: the shipped MAE ViT-tiny (``checkpoints/``, SHA-256
     checked, loaded strictly by ``FrozenTeacher``), or re-made from scratch
     with ``--retrain-teacher``;
  3. per seed, the same nano student from scratch once per method (MAE, AMD,
     AMD with a symmetric teacher mask, DMAE, dBOT): same architecture,
     iterations, batch, data order and seed;
  4. per seed, every encoder (raw pixels, random student, students, teacher)
     by a linear probe (L2 penalty picked on val), k-NN (k=20, fixed) and a
     short fine-tune (mmpretrain ImageClassifier), scored on the test split;
  5. results (mean ± std over seeds in ``results.md``, per seed in
     ``results.csv``), loss curves, an accuracy chart, mask pictures.

``tools/demo.py`` is its command line (``--help``); the results are in
docs/results/image.md.
"""
import argparse
import copy
import json
import os
import os.path as osp
import time
import traceback

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from amd_mm.converters import export_file
from amd_mm.datasets import read_idx, split_rows
from amd_mm.evaluation import (build_encoder, extract_features, knn_accuracy, linear_probe,
                               select_weight_decay, summarise, write_csv, write_markdown)
from amd_mm.visualization import plot_accuracy, plot_losses
from . import shipped
from .runs import (Progress, finish_cfg, run_options, run_with_threads, say, train_students,
                   train_with_history)
from .shipped import ROOT, TEACHER_CONFIG, make_teacher, sha256

CONFIGS = dict(
    mae='configs/mae/mae_vit-nano-p4_fashion-mnist.py',
    amd='configs/amd/amd_vit-nano-p4_fashion-mnist.py',
    amd_sym='configs/amd/amd_vit-nano-p4_sym-mask_fashion-mnist.py',
    dmae='configs/dmae/dmae_vit-nano-p4_fashion-mnist.py',
    dbot='configs/dbot/dbot_vit-nano-p4_fashion-mnist.py',
    amd_ftt='configs/amd/amd_vit-nano-p4_ft-teacher_fashion-mnist.py',
    finetune='configs/amd/benchmarks/mmpretrain/vit-nano-p4_ft-fashion-mnist.py',
)
LABELS = dict(mae='MAE student', amd='AMD student', amd_sym='AMD student, symmetric mask',
              dmae='DMAE student', dbot='dBOT student',
              amd_ftt='AMD student, fine-tuned teacher (timm)')
NEEDS_TEACHER = ('amd', 'amd_sym', 'dmae')
METRICS = ('linear_probe', 'knn', 'finetune', 'linear_probe_val', 'knn_val', 'finetune_val')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'demo'))
    parser.add_argument('--data', default=osp.join(ROOT, 'data', 'fashion-mnist'),
                        help='folder with Fashion-MNIST-style idx files')
    parser.add_argument('--methods', default='mae,amd',
                        help='comma-separated students: ' + ', '.join(LABELS) +
                             ' (the results table: all five)')
    parser.add_argument('--seeds', default=None,
                        help='comma-separated seeds, e.g. 0,1,2 (mean ± std in results.md)')
    parser.add_argument('--seed', type=int, default=0, help='one seed (when --seeds is not given)')
    parser.add_argument('--iters', type=int, default=1000, help='pre-training iterations per student')
    parser.add_argument('--ft-iters', type=int, default=500, help='fine-tuning iterations')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--probe-train', type=int, default=10000,
                        help='training images for the linear probe and k-NN')
    parser.add_argument('--val-samples', type=int, default=5000,
                        help='validation images used to choose the probe penalty')
    parser.add_argument('--test-samples', type=int, default=10000,
                        help='test images for the final numbers (all 10k by default)')
    parser.add_argument('--retrain-teacher', action='store_true',
                        help='re-make the teacher from scratch with its config instead of '
                             'loading the shipped checkpoint')
    parser.add_argument('--teacher-iters', type=int, default=None,
                        help='with --retrain-teacher: iterations (default: the config\'s)')
    parser.add_argument('--finetune-teacher', action='store_true',
                        help='also fine-tune the teacher (3x a student\'s fine-tune; the '
                             'results table has it, the default run only probes the teacher)')
    parser.add_argument('--teacher', default=None,
                        help='a teacher checkpoint to use instead of the shipped one '
                             '(no hash check)')
    parser.add_argument('--workers', type=int, default=1, help='data-loader processes')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads (default 1: a second one only thrashes on 2 shared '
                             'cores; see amd_mm.apis.runs.run_with_threads)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='overrides for every student pre-training config, key=value')
    args = parser.parse_args(argv)
    args.methods = [m.strip() for m in args.methods.split(',') if m.strip()]
    unknown = set(args.methods) - set(LABELS)
    if unknown:
        parser.error(f'--methods: unknown {sorted(unknown)}; choose from {", ".join(LABELS)}')
    try:
        args.seeds = ([int(s) for s in args.seeds.split(',') if s.strip()]
                      if args.seeds is not None else [args.seed])
    except ValueError:
        parser.error(f'--seeds: expected comma-separated integers, got {args.seeds!r}')
    return args


# measured seconds per pre-training iteration (2 CPU cores, 1 torch thread);
# only their ratios matter: the ETA is rescaled by the time the run has taken
SECONDS_PER_ITER = dict(mae=0.08, amd=0.21, amd_sym=0.12, dmae=0.12, dbot=0.11, amd_ftt=0.21)


def evaluation_seconds(ft_iters, kind='student'):
    """Probes (~25 s, ~60 s for the wider teacher) plus the fine-tune
    (~0.15 s per iteration, 3x for the teacher)."""
    teacher = kind == 'teacher'
    return (60 if teacher else 25) + 0.15 * ft_iters * (3 if teacher else 1)


def load_cfg(name, work_dir, args, iters, seed=None, **options):
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[name]))
    cfg.merge_from_dict({'train_dataloader.dataset.data_root': args.data,
                         **run_options(args, iters, seed, dbot_stage=name == 'dbot'),
                         **options})
    return finish_cfg(cfg, work_dir)


def get_teacher(args, progress):
    """The teacher checkpoint to distil from: shipped (hash-checked), given
    (``--teacher``) or re-made from scratch (``--retrain-teacher``)."""
    if args.teacher:
        say(f'    teacher: {args.teacher} (given; no hash check)')
        return args.teacher, {}
    if not args.retrain_teacher:
        path, digest = shipped.checked_teacher()
        say(f'    teacher: shipped {osp.relpath(path, ROOT)} (SHA-256 {digest[:12]}... checked)')
        return path, {}
    iters = args.teacher_iters or Config.fromfile(osp.join(ROOT, TEACHER_CONFIG)).train_cfg.max_iters
    progress.stage(f'    teacher: MAE pre-training from scratch, {iters} iterations '
                   f'({TEACHER_CONFIG})')
    out, history = make_teacher(osp.join(args.work_dir, 'teacher'), args.data,
                                args.teacher_iters, args.workers)
    shipped_path = osp.relpath(shipped.shipped_teacher()[0], ROOT)
    say(f'    teacher written to {out}, SHA-256 {sha256(out)}; to ship it, copy it over '
        f'{shipped_path} and set teacher_sha256 in {CONFIGS["amd"]}')
    progress.advance(0.3 * iters)  # the tiny-ViT MAE step: ~0.3 s
    return out, {'teacher (MAE)': history}


def pretrain(method, args, seed, teacher_ckpt):
    work_dir = osp.join(args.work_dir, f'seed{seed}', method)
    options = dict(args.cfg_options)
    if method in NEEDS_TEACHER:
        options['model.teacher.checkpoint'] = teacher_ckpt
    cfg = load_cfg(method, work_dir, args, args.iters, seed, **options)
    if method == 'dbot':  # two stages within the same budget
        cfg.default_hooks.teacher_bootstrap.stages = [args.iters // 2]
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
        dict(type='MaskReconstructionHook', interval=max(1, args.iters // 4), num_samples=6)]
    return train_with_history(cfg)


def load_split(root, split, count=None):
    """uint8 images resized to 32x32 (as in pre-training) and labels."""
    stem = 't10k' if split == 'test' else 'train'
    images = split_rows(read_idx(osp.join(root, f'{stem}-images-idx3-ubyte.gz')), split)
    labels = split_rows(read_idx(osp.join(root, f'{stem}-labels-idx1-ubyte.gz')), split)
    images, labels = images[:count], labels[:count]
    images = F.interpolate(torch.from_numpy(images.copy())[:, None].float(), size=(32, 32),
                           mode='bicubic', align_corners=False).round().clamp(0, 255)
    return images.to(torch.uint8), torch.from_numpy(labels.astype(np.int64))


def build_backbone(kind, ckpt, seed):
    """The pre-trained (or random) encoder as a MaskedViT, loaded strictly."""
    return build_encoder(osp.join(ROOT, CONFIGS['amd']), kind, ckpt, seed)


def finetune(name, kind, ckpt, args, seed):
    """Fine-tune on the train split; accuracy on val (seen while choosing the
    schedule) and on test (final)."""
    work_dir = osp.join(args.work_dir, f'seed{seed}', 'finetune', name)
    options = {'val_dataloader.dataset.data_root': args.data,
               'val_dataloader.num_workers': args.workers,
               'val_dataloader.persistent_workers': False,
               'test_dataloader.dataset.data_root': args.data,
               'test_dataloader.dataset.num_samples': args.test_samples,
               'test_dataloader.num_workers': args.workers,
               'test_dataloader.persistent_workers': False,
               'train_cfg.val_interval': args.ft_iters}
    if ckpt is None:
        options['model.backbone.init_cfg'] = None
    else:
        options['model.backbone.init_cfg.checkpoint'] = ckpt
    if kind == 'teacher':
        teacher_cfg = Config.fromfile(osp.join(ROOT, CONFIGS['amd']))
        options['model.backbone.arch'] = teacher_cfg.teacher_arch
        options['model.head.in_channels'] = teacher_cfg.teacher_arch['embed_dims']
    cfg = load_cfg('finetune', work_dir, args, args.ft_iters, seed, **options)
    runner = Runner.from_cfg(cfg)
    runner.train()
    val = float(runner.message_hub.get_scalar('val/accuracy/top1').current()) / 100
    test = float(runner.test()['accuracy/top1']) / 100
    return val, test


class Evaluator:
    """Linear probe, k-NN and fine-tune of one encoder on fixed splits."""

    def __init__(self, args):
        self.args = args
        self.train = load_split(args.data, 'train', args.probe_train)
        self.val = load_split(args.data, 'val', args.val_samples)
        self.test = load_split(args.data, 'test', args.test_samples)

    def probes(self, features):
        """Linear probe (penalty chosen on val) and k-NN, on val and test."""
        (train_x, train_y), (val_x, val_y), (test_x, test_y) = features
        weight_decay, probe_val = select_weight_decay(train_x, train_y, val_x, val_y)
        return dict(linear_probe=linear_probe(train_x, train_y, test_x, test_y, weight_decay),
                    linear_probe_val=probe_val, probe_weight_decay=weight_decay,
                    knn=knn_accuracy(train_x, train_y, test_x, test_y),
                    knn_val=knn_accuracy(train_x, train_y, val_x, val_y))

    def raw_pixels(self):
        def pixels(split):
            images, labels = split
            return images.flatten(1).float() / 255, labels
        row = self.probes([pixels(s) for s in (self.train, self.val, self.test)])
        return dict(row, params_m=0.0, finetune=float('nan'), finetune_val=float('nan'))

    def encoder(self, label, kind, ckpt, seed):
        backbone, pre = build_backbone(kind, ckpt, seed)
        features = [(extract_features(backbone, images, pre['mean'], pre['std']), labels)
                    for images, labels in (self.train, self.val, self.test)]
        row = self.probes(features)
        name = label.replace(' ', '_').replace(',', '')
        ft_dir = osp.join(self.args.work_dir, f'seed{seed}', 'finetune')
        os.makedirs(ft_dir, exist_ok=True)
        # the backbone in mmpretrain's fine-tune layout (final norm in ln2)
        ft_ckpt = None if ckpt is None else export_file(
            ckpt, osp.join(ft_dir, name + '_backbone.pth'), to='mmpretrain')
        if kind == 'teacher' and not self.args.finetune_teacher:
            row['finetune_val'] = row['finetune'] = float('nan')
        else:
            row['finetune_val'], row['finetune'] = finetune(name, kind, ft_ckpt, self.args, seed)
        row['params_m'] = sum(p.numel() for p in backbone.parameters()) / 1e6
        return row


def mask_pictures(models, args, out):
    """Masks (and reconstructions, where a model has a pixel decoder) of each
    student on the same real test images and the same masks."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from amd_mm.benchmark import build_masking, masked_batch
    from amd_mm.engine.hooks import MaskReconstructionHook
    images, _ = load_split(args.data, 'test', 6)
    np.random.seed(args.seeds[0])  # the same masks for every student
    batch = masked_batch(build_masking(Config.fromfile(osp.join(ROOT, CONFIGS['amd']))), images)
    paths = []
    for name, model in models.items():
        picture = MaskReconstructionHook(num_samples=6).picture(model.eval(), copy.deepcopy(batch))
        path = osp.join(out, f'masks_reconstruction_{name}.png')
        plt.imsave(path, picture)
        paths.append(path)
    return paths


COLUMNS = [('linear probe (%)', 'linear_probe'), ('k-NN (%)', 'knn'),
           ('fine-tune (%)', 'finetune'), ('val: linear probe (%)', 'linear_probe_val'),
           ('val: fine-tune (%)', 'finetune_val')]


def write_results(rows, failures, args, out, seconds):
    """Per-seed rows to ``results.csv``; mean ± std over seeds to ``results.md``."""
    summary = summarise(rows, METRICS)
    seeds = ','.join(map(str, args.seeds))
    preamble = [
        f'# amd_mm demo on Fashion-MNIST (seeds {seeds})', '',
        f'Students: {args.iters} pre-training iterations each, batch {args.batch_size}; '
        f'fine-tune: {args.ft_iters} iterations on the 55k train split; linear probe (L2 '
        f'penalty chosen on {args.val_samples} val images) and k-NN (k=20) on '
        f'{args.probe_train} train images; test: {args.test_samples} test images; '
        f'{len(args.seeds)} seed(s), mean ± std; total {seconds / 60:.1f} min.', '']
    if failures:
        preamble += [f'Failed (see the log): {", ".join(failures)}', '']
    write_csv(rows, osp.join(out, 'results.csv'))
    return write_markdown(summary, out, preamble, COLUMNS), summary


def main(argv=None):
    return run_with_threads(run, parse_args(argv))


def run(args):
    start = time.time()
    out = args.work_dir = osp.abspath(args.work_dir)
    os.makedirs(out, exist_ok=True)
    init_default_scope('mmpretrain')
    per_seed = (sum(SECONDS_PER_ITER[m] * args.iters for m in args.methods)
                + (len(args.methods) + 1) * evaluation_seconds(args.ft_iters)
                + evaluation_seconds(args.ft_iters if args.finetune_teacher else 0, 'teacher'))
    teacher_seconds = 0.3 * (args.teacher_iters or 8000) if args.retrain_teacher else 0
    raw_pixel_seconds = 90  # probes of 1024-d pixels, once per run
    progress = Progress(per_seed * len(args.seeds) + teacher_seconds + raw_pixel_seconds)
    say(f'1/5 data: {args.data} (torch threads: {args.threads}, loader workers: {args.workers})')
    if not osp.isdir(args.data):
        from amd_mm.datasets.fetch import fetch_fashion_mnist
        fetch_fashion_mnist(osp.dirname(args.data))

    progress.stage('2/5 teacher')
    teacher_ckpt, histories = get_teacher(args, progress)
    evaluator = Evaluator(args)
    rows, failures, models = [], [], {}
    reference = evaluator.raw_pixels()
    progress.advance(raw_pixel_seconds)
    log = dict(labels=LABELS, failures=failures, histories=histories, models=models)
    for seed in args.seeds:
        students = train_students(
            args.methods, seed, lambda m, s: pretrain(m, args, s, teacher_ckpt), progress,
            lambda m: SECONDS_PER_ITER[m] * args.iters, log, keep=seed == args.seeds[0])
        candidates = [('random student', 'student', None)] + [
            (LABELS[m], 'student', students[m]) for m in args.methods if m in students] + [
            ('MAE teacher', 'teacher', teacher_ckpt)]
        rows.append(dict(model='raw pixels', seed=seed, **reference))
        for label, kind, ckpt in candidates:
            progress.stage(f'4/5 seed {seed}: evaluating {label}')
            try:
                row = evaluator.encoder(label, kind, ckpt, seed)
            except Exception:
                say(f'    evaluation of {label} FAILED (seed {seed}):\n{traceback.format_exc()}')
                failures.append(f'evaluation of {label} (seed {seed})')
                continue
            finally:
                progress.advance(evaluation_seconds(args.ft_iters, kind))
            rows.append(dict(model=label, seed=seed, **row))
            say(f'    {label}: linear probe {100 * row["linear_probe"]:.2f}%, k-NN '
                f'{100 * row["knn"]:.2f}%, fine-tune {100 * row["finetune"]:.2f}% (test)')
            write_results(rows, failures, args, out, time.time() - start)  # never lose a row

    progress.stage(f'5/5 artefacts in {out}')
    table, summary = write_results(rows, failures, args, out, time.time() - start)
    plot_accuracy(summary, osp.join(out, 'accuracy.png'))
    if histories:
        plot_losses(histories, osp.join(out, 'loss_curves.png'))
    with open(osp.join(out, 'loss_histories.json'), 'w') as f:
        json.dump(histories, f)
    mask_pictures(models, args, out)
    print('\n' + table)
    say(f'done in {(time.time() - start) / 60:.1f} min: results.md, results.csv, '
        'loss_curves.png, accuracy.png, masks_reconstruction_*.png')
    return rows
