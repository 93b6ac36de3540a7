#!/usr/bin/env python
"""FLOPs and parameters of a masked pre-training config: one training step of
one sample (a video: all its ``RepeatedViews`` clips), by part.

Counted by :func:`amd_mm.benchmark.flops.config_flops` (PyTorch's
``FlopCounterMode``: matrix products, convolutions, attention; 2 FLOPs per
multiply-add): forward and backward of the student, neck and head, forward of
the frozen teacher on its tokens. No weights or data are needed. For a
downstream config (MMDetection, MMAction2, ...) use its package's own
``get_flops``, e.g. ``python -m amd_mm.run mmdet:analysis_tools/get_flops CONFIG``.

Example::

    python tools/analysis/get_flops.py configs/amd/amd_vit-nano-p4_fashion-mnist.py
"""
import argparse
import sys

from amd_mm.benchmark.report import giga

PACKAGES = dict(mmdet='mmdet', mmaction='mmaction2', mmseg='mmsegmentation',
                mmpretrain='mmpretrain')


def main(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--views', type=int, default=None,
                        help='clips per video of a RepeatedViews pipeline (default: the config\'s)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                        help='override settings in the config, key=value')
    args = parser.parse_args(argv)
    from amd_mm.benchmark.flops import config_flops
    try:
        flops, params = config_flops(args.config, args.cfg_options, args.views)
    except ValueError as error:
        if 'not a masked pre-training config' not in str(error):
            raise
        from mmengine.config import Config
        scope = Config.fromfile(args.config).get('default_scope', 'mmpretrain')
        sys.exit(f'{args.config} is not a masked pre-training config: count it with '
                 f'python -m amd_mm.run {PACKAGES.get(scope, scope)}:analysis_tools/get_flops '
                 f'{args.config}')
    print(f'config: {args.config}')
    print('params (M): student {:.3f}, teacher {:.3f} (frozen), trainable {:.3f}'.format(
        params['student'] / 1e6, params['teacher'] / 1e6, params['trainable'] / 1e6))
    print(f'GFLOPs of one training step per sample: {giga(flops.total)}')
    for part in ('student', 'teacher', 'neck', 'head'):
        print(f'  {part:8s} forward {giga(flops.forward.get(part, 0)):>8s}   '
              f'backward {giga(flops.backward.get(part, 0)):>8s}')
    print('  (the backward of neck and head is counted together, under neck)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
