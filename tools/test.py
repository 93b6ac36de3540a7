#!/usr/bin/env python
"""Evaluate a checkpoint with MMEngine's stock Runner.

Also installed as ``amd_mm/.mim/tools/test.py``
(``mim test amd_mm CONFIG --checkpoint CKPT``).
"""
import argparse
import os
import os.path as osp
import sys

import amd_mm  # noqa: E402,F401
from amd_mm.extras import check_config  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and results')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        sys.exit(f'checkpoint {args.checkpoint!r} does not exist')
    if not osp.isfile(args.config):
        sys.exit(f'config {args.config!r} does not exist')
    cfg = Config.fromfile(args.config)
    check_config(cfg, args.config)  # names the extra for a missing mmaction2/mmdet
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    return Runner.from_cfg(cfg).test()


if __name__ == '__main__':
    main()
