#!/usr/bin/env python
"""Pictures of what a masked pre-training config's pipeline gives the model:
one row per sample (per view of a video: ``RepeatedViews``), columns image |
student's view (hidden tokens grey) | teacher's view (its extra, diff tokens
tinted orange), after the data preprocessor; a video shows its first frame.

Example::

    python tools/analysis/browse_dataset.py configs/amd/amd_vit-nano-p4_fashion-mnist.py \\
        --num-samples 8 --output-dir work_dirs/browse

For a downstream config (MMDetection, MMAction2, ...) use its package's own
tool, e.g. ``python -m amd_mm.run mmdet:analysis_tools/browse_dataset CONFIG``.
"""
import argparse
import os
import os.path as osp
import sys

import amd_mm  # noqa: F401

PACKAGES = dict(mmdet='mmdet', mmaction='mmaction2', mmseg='mmsegmentation',
                mmpretrain='mmpretrain')


def main(argv=None):
    from mmengine.config import Config, DictAction
    from PIL import Image

    from amd_mm.benchmark.configs import find_masking
    from amd_mm.visualization import pipeline_picture
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--num-samples', type=int, default=8)
    parser.add_argument('--scale', type=int, default=4, help='nearest-neighbour up-scaling')
    parser.add_argument('--output-dir', default='work_dirs/browse_dataset')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                        help='override settings in the config, key=value')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if find_masking(cfg) is None:
        scope = cfg.get('default_scope', 'mmpretrain')
        sys.exit(f'{args.config} is not a masked pre-training config: browse it with python -m '
                 f'amd_mm.run {PACKAGES.get(scope, scope)}:analysis_tools/browse_dataset '
                 f'{args.config}')
    picture = pipeline_picture(cfg, args.num_samples, args.scale)
    os.makedirs(args.output_dir, exist_ok=True)
    out = osp.join(args.output_dir, osp.splitext(osp.basename(args.config))[0] + '_pipeline.png')
    Image.fromarray(picture).save(out)
    print(f'{out}: {picture.shape[1]}x{picture.shape[0]} px, columns image | student view | '
          'teacher view (diff tokens tinted)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
