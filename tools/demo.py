#!/usr/bin/env python
"""The main job: on real Fashion-MNIST, show what masked distillation gives a
small ViT that plain masked autoencoding does not.

Through the stock Runner and the same configs as paper-scale runs:
  1. fetch Fashion-MNIST (if missing);
  2. pre-train a teacher ViT with mmpretrain's MAE (cached: reused next time);
  3. pre-train the same small student from scratch, once per method (plain
     MAE and AMD by default; DMAE/dBOT with --methods), same schedule;
  4. evaluate the random student, each student and the teacher by linear
     probe and by a short fine-tune, on the 10k test images;
  5. write results (Markdown, CSV), loss curves, an accuracy chart and
     pictures of the masks with the students' reconstructions.

    python tools/demo.py                    # defaults: about 15 min on 2 cores
    python tools/demo.py --iters 6000 --seed 1 --methods mae,amd,dmae,dbot
    python tools/demo.py --methods amd --cfg-options model.head.gen_loss.target_norm=layer_norm
"""
import argparse
import copy
import csv
import json
import os
import os.path as osp
import shutil
import sys
import time

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, ROOT)

import amd_mm  # noqa: E402,F401
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from amd_mm.datasets import read_idx  # noqa: E402
from amd_mm.evaluation import extract_features, linear_probe  # noqa: E402
from amd_mm.models.teachers import load_vit_checkpoint  # noqa: E402
from amd_mm.models.teachers.checkpoint_filters import (match_final_norm,  # noqa: E402
                                                       unwrap_state_dict)

CONFIGS = dict(
    teacher='configs/mae/mae_vit-tiny-p4_fashion-mnist.py',
    mae='configs/mae/mae_vit-nano-p4_fashion-mnist.py',
    amd='configs/amd/amd_vit-nano-p4_fashion-mnist.py',
    dmae='configs/dmae/dmae_vit-nano-p4_fashion-mnist.py',
    dbot='configs/dbot/dbot_vit-nano-p4_fashion-mnist.py',
    finetune='configs/amd/benchmarks/mmpretrain/vit-nano-p4_ft-fashion-mnist.py',
)
NEEDS_TEACHER = ('amd', 'dmae')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'demo'))
    parser.add_argument('--data', default=osp.join(ROOT, 'data', 'fashion-mnist'),
                        help='folder with Fashion-MNIST-style idx files')
    parser.add_argument('--methods', default='mae,amd',
                        help='comma-separated students: mae, amd, dmae, dbot')
    parser.add_argument('--teacher-iters', type=int, default=1000)
    parser.add_argument('--iters', type=int, default=1000, help='pre-training iterations per student')
    parser.add_argument('--ft-iters', type=int, default=200, help='fine-tuning iterations')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--probe-train', type=int, default=10000,
                        help='training images for the linear probe')
    parser.add_argument('--test-samples', type=int, default=10000,
                        help='test images for both evaluations (all 10k by default)')
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='overrides for every student pre-training config, key=value')
    args = parser.parse_args(argv)
    args.methods = [m.strip() for m in args.methods.split(',') if m.strip()]
    unknown = set(args.methods) - {'mae', 'amd', 'dmae', 'dbot'}
    if unknown:
        parser.error(f'--methods: unknown {sorted(unknown)}; choose from mae, amd, dmae, dbot')
    return args


def say(message):
    print(f'[demo {time.strftime("%H:%M:%S")}] {message}', flush=True)


def run_options(args, iters, dbot_stage=False):
    """Overrides every demo pre-training/fine-tuning run shares: seed, loader
    workers, an ``iters``-long warm-up + cosine schedule, one checkpoint."""
    warmup = max(1, iters // 20)
    return {
        'train_dataloader.batch_size': args.batch_size,
        'train_dataloader.num_workers': args.workers,
        'train_dataloader.persistent_workers': False,
        'randomness.seed': args.seed,
        'train_cfg.max_iters': iters,
        'param_scheduler.0.end': warmup, 'param_scheduler.1.begin': warmup,
        'param_scheduler.1.end': iters // 2 if dbot_stage else iters,
        'default_hooks.checkpoint.interval': iters,
        'default_hooks.logger.interval': max(1, iters // 10)}


def finish_cfg(cfg, work_dir):
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    return cfg


def train_with_history(cfg):
    """Train with the stock Runner; the final checkpoint and the loss curves."""
    runner = Runner.from_cfg(cfg)
    runner.train()
    history = {key[len('train/'):]: list(map(float, buffer.data[0]))
               for key, buffer in runner.message_hub.log_scalars.items()
               if key.startswith('train/loss')}
    return osp.join(cfg.work_dir, f'iter_{cfg.train_cfg.max_iters}.pth'), history, runner.model


def load_cfg(name, work_dir, args, iters, **options):
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[name]))
    cfg.merge_from_dict({'train_dataloader.dataset.data_root': args.data,
                         **run_options(args, iters, dbot_stage=name == 'dbot'), **options})
    return finish_cfg(cfg, work_dir)


def pretrain(name, args, teacher_ckpt=None):
    work_dir = osp.join(args.work_dir, name)
    options = {}
    if name in NEEDS_TEACHER:
        options['model.teacher.checkpoint'] = teacher_ckpt
    if name != 'teacher':
        options.update(args.cfg_options)
    cfg = load_cfg(name, work_dir, args, args.iters if name != 'teacher' else args.teacher_iters,
                   **options)
    if name == 'dbot':  # two stages within the same budget
        cfg.custom_hooks[1]['stages'] = [args.iters // 2]
    if name != 'teacher':
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='MaskReconstructionHook', interval=max(1, args.iters // 4), num_samples=6)]
    return train_with_history(cfg)


def backbone_checkpoint(ckpt, out, model_keys=None):
    """``backbone.*`` weights of a pre-training checkpoint, the final norm in
    the slot of mmpretrain's fine-tune ViT (``ln2``)."""
    state = unwrap_state_dict(torch.load(ckpt, map_location='cpu'))
    backbone = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    backbone = match_final_norm(backbone, model_keys or ['ln2.weight', 'ln2.bias'])
    torch.save({'state_dict': {'backbone.' + k: v for k, v in backbone.items()}}, out)
    return out


def load_split(root, split):
    stem = 'train' if split == 'train' else 't10k'
    images = torch.from_numpy(read_idx(osp.join(root, f'{stem}-images-idx3-ubyte.gz')).copy())
    labels = torch.from_numpy(read_idx(osp.join(root, f'{stem}-labels-idx1-ubyte.gz')).astype(np.int64))
    images = F.interpolate(images[:, None].float(), size=(32, 32), mode='bicubic',
                           align_corners=False).round().clamp(0, 255).to(torch.uint8)
    return images, labels


def build_backbone(name, ckpt):
    """The pre-trained (or random) encoder as a MaskedViT, loaded strictly."""
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS['amd']))
    backbone_cfg = copy.deepcopy(cfg.model.teacher.backbone if name == 'teacher'
                                 else cfg.model.backbone)
    backbone_cfg.pop('feature_blocks', None)
    torch.manual_seed(0)
    backbone = MODELS.build(backbone_cfg)
    backbone.init_weights()
    if ckpt is not None:
        load_vit_checkpoint(backbone, ckpt)
    return backbone, cfg.data_preprocessor


def finetune(name, kind, ckpt, args):
    work_dir = osp.join(args.work_dir, 'finetune', name)
    options = {'val_dataloader.dataset.data_root': args.data,
               'val_dataloader.dataset.num_samples': args.test_samples,
               'val_dataloader.num_workers': args.workers,
               'val_dataloader.persistent_workers': False,
               'train_cfg.val_interval': args.ft_iters}
    if ckpt is None:
        options['model.backbone.init_cfg'] = None
    else:
        options['model.backbone.init_cfg.checkpoint'] = ckpt
    if kind == 'teacher':
        teacher_cfg = Config.fromfile(osp.join(ROOT, CONFIGS['amd']))
        options['model.backbone.arch'] = teacher_cfg.teacher_arch
        options['model.head.in_channels'] = teacher_cfg.teacher_arch['embed_dims']
    cfg = load_cfg('finetune', work_dir, args, args.ft_iters, **options)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return float(runner.message_hub.get_scalar('val/accuracy/top1').current()) / 100


def mask_pictures(models, args, out):
    """Masks and reconstructions of each student on the same real test images
    and the same masks."""
    from mmpretrain.registry import TRANSFORMS
    from mmpretrain.structures import DataSample
    from amd_mm.engine.hooks import MaskReconstructionHook
    images, _ = load_split(args.data, 'test')
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS['amd']))
    step = next(t for t in cfg.train_dataloader.dataset.pipeline if t['type'] == 'AsymmetricMasking')
    transform = TRANSFORMS.build(copy.deepcopy(step))
    np.random.seed(args.seed)
    samples = []
    for _ in range(6):
        masks = transform({})
        sample = DataSample()
        sample.set_mask(masks['mask'])
        sample.set_field(masks['diff_mask'], 'diff_mask')
        samples.append(sample)
    batch = dict(inputs=images[:6], data_samples=samples)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    paths = []
    for name, model in models.items():
        picture = MaskReconstructionHook(num_samples=6).picture(model.eval(), copy.deepcopy(batch))
        path = osp.join(out, f'masks_reconstruction_{name}.png')
        plt.imsave(path, picture)
        paths.append(path)
    return paths


def plot_losses(histories, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(histories), figsize=(4.5 * len(histories), 3.5), squeeze=False)
    for axis, (name, history) in zip(axes[0], histories.items()):
        for key, values in sorted(history.items()):
            if key == 'loss' and len(history) > 1:
                continue
            window = max(1, len(values) // 50)
            smooth = np.convolve(values, np.ones(window) / window, mode='valid')
            axis.plot(smooth, label=key)
        axis.set_title(name)
        axis.set_xlabel('iteration')
        axis.set_yscale('log')
        axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_accuracy(rows, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    names = [r['model'] for r in rows]
    x = np.arange(len(rows))
    fig, axis = plt.subplots(figsize=(1.6 * len(rows) + 2, 3.5))
    for offset, key in ((-0.2, 'linear_probe'), (0.2, 'finetune')):
        values = [100 * r[key] for r in rows]
        bars = axis.bar(x + offset, values, 0.4, label=key.replace('_', ' '))
        axis.bar_label(bars, fmt='%.1f', fontsize=8)
    axis.set_xticks(x, names, fontsize=8)
    axis.set_ylabel('top-1 on the 10k test images (%)')
    axis.set_ylim(0, 100)
    axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_table(rows, out, preamble, columns):
    """``results.csv`` (every field) and ``results.md`` (``preamble`` lines,
    then a table of model, params and the ``columns`` as percentages)."""
    with open(osp.join(out, 'results.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = list(preamble) + [
        '| model | params (M) | ' + ' | '.join(title for title, _ in columns) + ' |',
        '|---|---|' + '---|' * len(columns)]
    for r in rows:
        lines.append(f"| {r['model']} | {r['params_m']:.2f} | "
                     + ' | '.join(f'{100 * r[key]:.2f}' for _, key in columns) + ' |')
    text = '\n'.join(lines) + '\n'
    with open(osp.join(out, 'results.md'), 'w') as f:
        f.write(text)
    return text


def write_results(rows, args, out, seconds):
    preamble = [f'# amd_mm demo on Fashion-MNIST (seed {args.seed})', '',
                f'Teacher: {args.teacher_iters} MAE iterations; students: {args.iters} iterations '
                f'each, batch {args.batch_size}; fine-tune: {args.ft_iters} iterations; '
                f'linear probe on {args.probe_train} training images; evaluation on '
                f'{args.test_samples} test images; total {seconds:.0f} s.', '']
    return write_table(rows, out, preamble, [('linear probe top-1 (%)', 'linear_probe'),
                                            ('fine-tune top-1 (%)', 'finetune')])


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    out = args.work_dir
    os.makedirs(out, exist_ok=True)
    init_default_scope('mmpretrain')
    total = 5
    say(f'1/{total} data: {args.data}')
    if not osp.isdir(args.data):
        sys.path.insert(0, osp.join(ROOT, 'tools', 'data'))
        import fetch_data
        fetch_data.fetch_fashion_mnist(osp.dirname(args.data))

    teacher_ckpt = osp.join(out, 'teacher', f'teacher_{args.teacher_iters}it_seed{args.seed}.pth')
    histories = {}
    if osp.isfile(teacher_ckpt):
        say(f'2/{total} teacher: reusing cached {teacher_ckpt}')
        cached = osp.splitext(teacher_ckpt)[0] + '_losses.json'
        if osp.isfile(cached):
            histories['teacher (MAE)'] = json.load(open(cached))
    else:
        say(f'2/{total} teacher: MAE pre-training, {args.teacher_iters} iterations')
        ckpt, histories['teacher (MAE)'], _ = pretrain('teacher', args)
        shutil.copy(ckpt, teacher_ckpt)
        json.dump(histories['teacher (MAE)'], open(osp.splitext(teacher_ckpt)[0] + '_losses.json', 'w'))

    students, models = {}, {}
    for index, method in enumerate(args.methods, 1):
        say(f'3/{total} student {index}/{len(args.methods)}: {method.upper()}, {args.iters} iterations')
        ckpt, histories[f'student ({method.upper()})'], models[method.upper()] = pretrain(
            method, args, teacher_ckpt)
        students[method] = ckpt

    say(f'4/{total} evaluation: linear probe and fine-tune of every encoder')
    train_images, train_labels = load_split(args.data, 'train')
    test_images, test_labels = load_split(args.data, 'test')
    test_images, test_labels = test_images[:args.test_samples], test_labels[:args.test_samples]
    train_images, train_labels = train_images[:args.probe_train], train_labels[:args.probe_train]
    candidates = [('random student', None, 'student')] + [
        (f'{m.upper()} student', students[m], 'student') for m in args.methods] + [
        ('MAE teacher', teacher_ckpt, 'teacher')]
    rows = []
    for label, ckpt, kind in candidates:
        backbone, pre = build_backbone(kind, ckpt)
        feats_train = extract_features(backbone, train_images, pre['mean'], pre['std'])
        feats_test = extract_features(backbone, test_images, pre['mean'], pre['std'])
        probe = linear_probe(feats_train, train_labels, feats_test, test_labels)
        name = label.replace(' ', '_')
        os.makedirs(osp.join(out, 'finetune'), exist_ok=True)
        ft_ckpt = None if ckpt is None else backbone_checkpoint(
            ckpt, osp.join(out, 'finetune', name + '_backbone.pth'))
        accuracy = finetune(name, kind, ft_ckpt, args)
        params = sum(p.numel() for p in backbone.parameters()) / 1e6
        rows.append(dict(model=label, params_m=params, linear_probe=probe, finetune=accuracy))
        say(f'    {label}: linear probe {100 * probe:.2f}%, fine-tune {100 * accuracy:.2f}%')

    say(f'5/{total} artefacts in {out}')
    plot_losses(histories, osp.join(out, 'loss_curves.png'))
    plot_accuracy(rows, osp.join(out, 'accuracy.png'))
    mask_pictures(models, args, out)
    table = write_results(rows, args, out, time.time() - start)
    print('\n' + table)
    say(f'done in {time.time() - start:.0f} s: results.md, results.csv, loss_curves.png, '
        'accuracy.png, masks_reconstruction_*.png')
    return rows


if __name__ == '__main__':
    main()
