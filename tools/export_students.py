#!/usr/bin/env python
"""Ship the demo's pre-trained students: the backbone of each MAE and AMD
student of ``tools/demo.py`` (one per seed) as a small fp16 file under
``checkpoints/``, with its SHA-256 in ``checkpoints/students.json`` (the
table ``tools/demo_det.py`` reads and checks).

The fp16 backbone is written by the same code as the shipped teacher
(``amd_mm.apis.shipped.export_backbone_fp16``). Runner checkpoints are read
from ``--demo-dir`` (``work_dirs/demo_3seeds/seed{S}/{method}/iter_1000.pth``);
the ones missing are made first by ``tools/demo.py --methods ... --seeds ...``
into that folder (which also evaluates them: about 13 min per seed)::

    python tools/export_students.py                       # seeds 0,1,2 -> checkpoints/
    python tools/export_students.py --seeds 0 --out work_dirs/students
"""
import argparse
import os
import os.path as osp

from amd_mm.apis.shipped import ROOT, export_students


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--demo-dir', default=osp.join(ROOT, 'work_dirs', 'demo_3seeds'))
    parser.add_argument('--seeds', default='0,1,2')
    parser.add_argument('--out', default=osp.join(ROOT, 'checkpoints'))
    args = parser.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(',')]
    except ValueError:
        parser.error(f'--seeds: expected comma-separated integers, got {args.seeds!r}')
    os.makedirs(args.out, exist_ok=True)
    for row in export_students(args.demo_dir, seeds, args.out):
        print(f"{row['file']}  {row['sha256']}")


if __name__ == '__main__':
    main()
