#!/usr/bin/env python
"""The main job on real Fashion-MNIST: pre-train a tiny MAE teacher (cached),
then distil a smaller student from it with AMD, through the stock Runner and
the same configs as paper-scale runs.

    python tools/demo.py [--iters 2000] [--work-dir work_dirs/demo]
"""
import argparse
import os.path as osp
import shutil
import sys
import time

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, ROOT)

import amd_mm  # noqa: E402,F401
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

TEACHER_CFG = osp.join(ROOT, 'configs/mae/mae_vit-tiny-p4_fashion-mnist.py')
STUDENT_CFGS = {'amd': osp.join(ROOT, 'configs/amd/amd_vit-nano-p4_fashion-mnist.py')}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'demo'))
    parser.add_argument('--data', default=osp.join(ROOT, 'data', 'fashion-mnist'))
    parser.add_argument('--teacher-iters', type=int, default=2000)
    parser.add_argument('--iters', type=int, default=2000, help='student iterations')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=int, default=64)
    return parser.parse_args(argv)


def schedule(iters, warmup):
    return {'train_cfg.max_iters': iters, 'param_scheduler.0.end': warmup,
            'param_scheduler.1.begin': warmup, 'param_scheduler.1.end': iters,
            'default_hooks.checkpoint.interval': iters}


def train(config, work_dir, args, iters, **options):
    cfg = Config.fromfile(config)
    cfg.merge_from_dict({'train_dataloader.dataset.data_root': args.data,
                         'train_dataloader.batch_size': args.batch_size,
                         'randomness.seed': args.seed,
                         **schedule(iters, max(1, iters // 20)), **options})
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    runner = Runner.from_cfg(cfg)
    runner.train()
    return osp.join(work_dir, f'iter_{iters}.pth')


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    if not osp.isdir(args.data):
        from importlib import util
        spec = util.spec_from_file_location('fetch', osp.join(ROOT, 'tools/data/fetch_data.py'))
        fetch = util.module_from_spec(spec)
        spec.loader.exec_module(fetch)
        fetch.fetch_fashion_mnist(osp.dirname(args.data))
    teacher = osp.join(args.work_dir, 'teacher', f'teacher_{args.teacher_iters}it_seed{args.seed}.pth')
    if osp.isfile(teacher):
        print(f'[demo] reusing cached teacher {teacher}')
    else:
        print(f'[demo] 1/2 pre-training the MAE teacher ({args.teacher_iters} iterations)')
        ckpt = train(TEACHER_CFG, osp.join(args.work_dir, 'teacher'), args, args.teacher_iters)
        shutil.copy(ckpt, teacher)
    print(f'[demo] 2/2 distilling the student with AMD ({args.iters} iterations)')
    train(STUDENT_CFGS['amd'], osp.join(args.work_dir, 'amd'), args, args.iters,
          **{'model.teacher.checkpoint': teacher})
    print(f'[demo] done in {time.time() - start:.0f}s; results in {args.work_dir}')


if __name__ == '__main__':
    main()
