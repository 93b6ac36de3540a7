#!/usr/bin/env python
"""Train with MMEngine's stock Runner (mmpretrain's train.py flags).

Also installed as ``amd_mm/.mim/tools/train.py`` (``mim train amd_mm CONFIG``).
"""
import argparse
import os
import os.path as osp
import sys

import amd_mm  # noqa: E402,F401  (compat fixes + registration)
from amd_mm.extras import check_config  # noqa: E402
from amd_mm.validation import check_checkpoint_path  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the latest checkpoint in the work_dir (no value) '
        'or from the given checkpoint path')
    parser.add_argument('--amp', action='store_true',
                        help='enable automatic-mixed-precision training')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate checkpoints during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the total batch size')
    parser.add_argument('--no-pin-memory', action='store_true')
    parser.add_argument('--no-persistent-workers', action='store_true')
    parser.add_argument(
        '--tensorboard', action='store_true',
        help='also log scalars (and pictures) to TensorBoard, under '
        'WORK_DIR/TIMESTAMP/vis_data (view: tensorboard --logdir WORK_DIR)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value (xxx=[a,b] for lists)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank (torch>=2) or --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        if cfg.optim_wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            pass
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.auto_scale_lr:
        scale = dict(cfg.get('auto_scale_lr') or {})
        if 'base_batch_size' not in scale:
            raise ValueError(
                '--auto-scale-lr needs auto_scale_lr = dict(base_batch_size=N) in the config: '
                'N is the total batch (all processes) its lr is written for')
        cfg.auto_scale_lr = dict(scale, enable=True)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader is None:
            continue
        if args.no_pin_memory:
            loader['pin_memory'] = False
        if args.no_persistent_workers:
            loader['persistent_workers'] = False
    if args.tensorboard:
        add_tensorboard(cfg)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
        if any(key.startswith('default_hooks.logger') for key in args.cfg_options):
            cfg.auto_log_interval = False  # the user chose the interval
    return finalize(cfg)


def add_tensorboard(cfg):
    """Add MMEngine's TensorboardVisBackend to the visualizer (the option
    parser cannot spell ``vis_backends=[dict(...)]``)."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        sys.exit('--tensorboard needs the tensorboard package: pip install tensorboard '
                 '(or pip install "amd-mm[tools]"; tools/setup_env.sh installs it)')
    visualizer = cfg.setdefault('visualizer', dict(type='UniversalVisualizer'))
    backends = list(visualizer.get('vis_backends') or [dict(type='LocalVisBackend')])
    if not any(b.get('type', '').endswith('TensorboardVisBackend') for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    visualizer['vis_backends'] = backends


def finalize(cfg):
    """What mmpretrain's train.py also does, and a check that would otherwise
    come after the model is built. The other start-up checks, the summary,
    the CPU gloo switch and the short-run log interval apply to every entry
    point: default hooks of configs/_base_/default_runtime.py and
    amd_mm.compat."""
    if cfg.get('data_preprocessor') is not None:
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    check_checkpoint_path(cfg.get('load_from'), '--resume' if cfg.get('resume') else 'load_from')
    return cfg


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.config):
        sys.exit(f'config {args.config!r} does not exist')
    cfg = merge_args(Config.fromfile(args.config), args)
    check_config(cfg, args.config)  # names the extra for a missing mmaction2/mmdet
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()
    return runner


if __name__ == '__main__':
    main()
