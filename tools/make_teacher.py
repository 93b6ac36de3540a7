#!/usr/bin/env python
"""Re-make a shipped teacher from scratch: MAE / VideoMAE pre-training with
its config through the stock Runner, then its backbone in fp16 and the
file's SHA-256 (to ship it: copy it over ``teacher_checkpoint`` and put the
hash in ``teacher_sha256`` of the recipe's AMD config).

    python tools/make_teacher.py                      # the Fashion-MNIST image teacher
    python tools/make_teacher.py --recipe moving-fashion-mnist   # the video teacher
    python tools/make_teacher.py --out checkpoints/   # overwrite the shipped file's folder
"""
import argparse
import hashlib
import os
import os.path as osp
import sys
import time

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, ROOT)

import amd_mm  # noqa: E402,F401
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from amd_mm.converters import load_checkpoint, unwrap_state_dict  # noqa: E402

# recipe -> (teacher config, the AMD config that records the shipped file)
RECIPES = {
    'fashion-mnist': ('configs/mae/mae_vit-tiny-p4_1xb64-8k_fashion-mnist.py',
                      'configs/amd/amd_vit-nano-p4_fashion-mnist.py'),
    'moving-fashion-mnist': ('configs/mae/videomae_vit-micro-p16_moving-fashion-mnist.py',
                             'configs/amd/amd_vit-nano-p16_moving-fashion-mnist.py'),
}
TEACHER_CONFIG, CONSUMER_CONFIG = RECIPES['fashion-mnist']


def sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def shipped_teacher(recipe='fashion-mnist'):
    """``(path, sha256)`` of the recipe's shipped teacher, as its AMD config
    records them (``teacher_checkpoint``, ``teacher_sha256``)."""
    if recipe not in RECIPES:
        raise KeyError(f'recipe={recipe!r} is not one of {sorted(RECIPES)}')
    cfg = Config.fromfile(osp.join(ROOT, RECIPES[recipe][1]))
    return osp.join(ROOT, cfg.teacher_checkpoint), cfg.teacher_sha256


def export_backbone_fp16(ckpt, out, meta):
    """The ``backbone.*`` weights of a Runner checkpoint in fp16 (what
    ``FrozenTeacher`` and a fine-tune need; the MAE decoder is left out)."""
    state = unwrap_state_dict(load_checkpoint(ckpt))
    backbone = {k: v.half() if v.is_floating_point() else v
                for k, v in state.items() if k.startswith('backbone.')}
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save({'state_dict': backbone, 'meta': meta}, out)
    return out


def loss_history(runner):
    """The run's logged ``loss*`` curves, by name."""
    return {key[len('train/'):]: list(map(float, buffer.data[0]))
            for key, buffer in runner.message_hub.log_scalars.items()
            if key.startswith('train/loss')}


def make_teacher(work_dir, data_root=None, iters=None, workers=1, out_dir=None, options=None,
                 recipe='fashion-mnist'):
    """Train the recipe's teacher and export it; returns ``(fp16 checkpoint,
    loss history)``. ``iters`` shortens the run (tests); ``data_root`` is
    the dataset's ``data_root`` (images) or its video list folder (videos:
    ``train_class.txt`` and ``videos/``)."""
    config = RECIPES[recipe][0]
    cfg = Config.fromfile(osp.join(ROOT, config))
    merged = {'train_dataloader.num_workers': workers,
              'train_dataloader.persistent_workers': workers > 0}
    if data_root is not None and cfg.train_dataloader.dataset.get('data_prefix'):
        merged['train_dataloader.dataset.ann_file'] = osp.join(data_root, 'train_class.txt')
        merged['train_dataloader.dataset.data_prefix.video'] = osp.join(data_root, 'videos')
    elif data_root is not None:
        merged['train_dataloader.dataset.data_root'] = data_root
    if iters is not None:
        warmup = iters // 20  # 0: none (a 1-iteration LinearLR never leaves start_factor)
        merged.update({'train_cfg.max_iters': iters, 'param_scheduler.warmup': warmup,
                       'default_hooks.checkpoint.interval': iters,
                       'default_hooks.logger.interval': max(1, iters // 10)})
    merged.update(options or {})
    cfg.merge_from_dict(merged)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    runner = Runner.from_cfg(cfg)
    start = time.time()
    runner.train()
    history = loss_history(runner)
    max_iters = cfg.train_cfg.max_iters
    name = osp.basename(shipped_teacher(recipe)[0])
    out = export_backbone_fp16(
        osp.join(work_dir, f'iter_{max_iters}.pth'), osp.join(out_dir or work_dir, name),
        dict(config=config, iters=max_iters, seed=cfg.randomness.seed,
             train_seconds=round(time.time() - start), torch_threads=torch.get_num_threads()))
    return out, history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--recipe', default='fashion-mnist', choices=sorted(RECIPES))
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/teacher (image), work_dirs/teacher_<recipe>')
    parser.add_argument('--data', default=None, help='data folder (default: the config\'s)')
    parser.add_argument('--out', default=None, help='folder for the fp16 file (default: --work-dir)')
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads (1: the tiny ViT gains little from more on 2 cores)')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.time()
    work_dir = args.work_dir or osp.join(
        ROOT, 'work_dirs', 'teacher' if args.recipe == 'fashion-mnist' else f'teacher_{args.recipe}')
    if args.recipe == 'moving-fashion-mnist':  # the videos are generated, not fetched
        sys.path.insert(0, osp.join(ROOT, 'tools', 'data'))
        from moving_fashion_mnist import make_moving_fashion_mnist
        make_moving_fashion_mnist(args.data or osp.join(ROOT, 'data', 'moving_fashion_mnist'))
    out, _ = make_teacher(work_dir, args.data, workers=args.workers, out_dir=args.out,
                          recipe=args.recipe)
    print(f'teacher written to {out} in {(time.time() - start) / 60:.1f} min\n'
          f'SHA-256 {sha256(out)} (recorded: {shipped_teacher(args.recipe)[1]})')


if __name__ == '__main__':
    main()
