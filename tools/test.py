#!/usr/bin/env python
"""Evaluate a checkpoint with MMEngine's stock Runner, with the flags of the
OpenMMLab packages' own ``tools/test.py``: ``--out`` dumps the predictions
(MMEngine's ``DumpResults``), ``--show-dir`` turns on the config's
visualization hook (mmpretrain/mmaction2 ``VisualizationHook``, mmdet
``DetVisualizationHook``, mmseg ``SegVisualizationHook``) and draws every
prediction into that folder (relative to the current folder, whichever the
hook: the packages' own scripts differ there).

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

# hook type: (its on switch, its folder argument; None: the visualizer's save_dir),
# as each package's own tools/test.py sets them
DRAW_SWITCHES = {'VisualizationHook': ('enable', 'out_dir'),
                 'DetVisualizationHook': ('draw', 'test_out_dir'),
                 'SegVisualizationHook': ('draw', None)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and results')
    parser.add_argument('--out', help='dump the predictions into this .pkl file')
    parser.add_argument('--show-dir', help='draw the predictions into this folder')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error(f'--out {args.out!r}: expected a .pkl or .pickle file')
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
    if args.show_dir:
        draw_into(cfg, args.show_dir, args.config)
    if args.out:
        evaluator = cfg.test_evaluator
        cfg.test_evaluator = (list(evaluator) if isinstance(evaluator, (list, tuple))
                              else [evaluator]) + [dict(type='DumpResults',
                                                        out_file_path=args.out)]
    return Runner.from_cfg(cfg).test()


def draw_into(cfg, folder, config):
    """Turn on the config's visualization hook, drawing into ``folder``."""
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        sys.exit(f'--show-dir: {config} has no default_hooks.visualization to draw with')
    kind = hook['type'].rpartition('.')[2] if isinstance(hook['type'], str) else \
        hook['type'].__name__
    if kind not in DRAW_SWITCHES:
        sys.exit(f'--show-dir: default_hooks.visualization.type={hook["type"]!r} in {config}; '
                 f'expected one of {sorted(DRAW_SWITCHES)}')
    folder = osp.abspath(folder)  # mmdet's hook would put a relative one under the work dir
    switch, folder_key = DRAW_SWITCHES[kind]
    hook[switch] = True
    hook['interval'] = 1  # every prediction (mmpretrain's hook draws every 5000th)
    if folder_key is None:
        cfg.visualizer['save_dir'] = folder
    else:
        hook[folder_key] = folder


if __name__ == '__main__':
    main()
