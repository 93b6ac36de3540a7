#!/usr/bin/env python
"""Ship the demo's pre-trained students: the backbone of each MAE and AMD
student of ``tools/demo.py`` (one per seed) as a small fp16 file under
``checkpoints/``, with its SHA-256 in ``checkpoints/students.json`` (the
table ``tools/demo_det.py`` reads and checks).

The fp16 backbone is written by the same code as the shipped teacher
(``make_teacher.export_backbone_fp16``). Runner checkpoints are read from
``--demo-dir`` (``work_dirs/demo_3seeds/seed{S}/{method}/iter_1000.pth``); the
ones missing are made first by ``tools/demo.py --methods ... --seeds ...``
into that folder (which also evaluates them: about 13 min per seed)::

    python tools/export_students.py                       # seeds 0,1,2 -> checkpoints/
    python tools/export_students.py --seeds 0 --out /tmp/students
"""
import argparse
import json
import os
import os.path as osp
import sys

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path[:0] = [ROOT, osp.join(ROOT, 'tools')]

from make_teacher import export_backbone_fp16, sha256  # noqa: E402

METHODS = dict(mae='configs/mae/mae_vit-nano-p4_fashion-mnist.py',
               amd='configs/amd/amd_vit-nano-p4_fashion-mnist.py')
PRETRAIN_ITERS = 1000  # tools/demo.py's default --iters
TABLE = osp.join(ROOT, 'checkpoints', 'students.json')


def student_name(method, seed, iters=PRETRAIN_ITERS):
    """``amd_vit-nano-p4_1xb64-1k_fashion-mnist_seed0_fp16.pth``, named like the teacher."""
    if method not in METHODS:
        raise ValueError(f'student method {method!r}: expected one of {sorted(METHODS)}')
    return f'{method}_vit-nano-p4_1xb64-{iters // 1000}k_fashion-mnist_seed{seed}_fp16.pth'


def read_table(path=TABLE):
    """``{file name: sha256}`` of the shipped students (empty when none)."""
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return {row['file']: row['sha256'] for row in json.load(f)['students']}


def shipped_student(method, seed, table=TABLE):
    """``(path, sha256)`` of a shipped student; raises when it is not shipped
    or its bytes differ from the recorded hash."""
    name = student_name(method, seed)
    expected = read_table(table).get(name)
    path = osp.join(osp.dirname(table), name)
    if expected is None or not osp.isfile(path):
        raise FileNotFoundError(
            f'student {method} seed {seed}: {path} is not shipped (no file or no row in '
            f'{table}); make it with: python tools/export_students.py --seeds {seed}')
    actual = sha256(path)
    if actual != expected:
        raise RuntimeError(f'student {path}: SHA-256 {actual} differs from the recorded '
                           f'{expected} in {table}')
    return path, actual


def export_students(demo_dir, seeds, out_dir, methods=tuple(METHODS)):
    """Export every (method, seed) student; missing Runner checkpoints are
    made by ``tools/demo.py`` first. Returns the table rows written."""
    missing = sorted({s for s in seeds for m in methods if not osp.isfile(
        osp.join(demo_dir, f'seed{s}', m, f'iter_{PRETRAIN_ITERS}.pth'))})
    if missing:
        import demo
        demo.main(['--work-dir', demo_dir, '--methods', ','.join(methods),
                   '--seeds', ','.join(map(str, missing)), '--iters', str(PRETRAIN_ITERS)])
    rows = []
    for seed in seeds:
        for method in methods:
            src = osp.join(demo_dir, f'seed{seed}', method, f'iter_{PRETRAIN_ITERS}.pth')
            dst = osp.join(out_dir, student_name(method, seed))
            # meta without times or paths: the same run gives the same bytes
            export_backbone_fp16(src, dst, dict(config=METHODS[method], iters=PRETRAIN_ITERS,
                                                seed=seed, made_by='tools/demo.py'))
            rows.append(dict(method=method, seed=seed, file=osp.basename(dst),
                             sha256=sha256(dst), config=METHODS[method]))
    table = osp.join(out_dir, 'students.json')
    old = [r for r in (json.load(open(table))['students'] if osp.isfile(table) else [])
           if r['file'] not in {n['file'] for n in rows}]
    with open(table, 'w') as f:
        json.dump({'students': sorted(old + rows, key=lambda r: (r['method'], r['seed']))},
                  f, indent=1)
        f.write('\n')
    return rows


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
