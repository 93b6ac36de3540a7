#!/usr/bin/env python
"""Re-make a shipped teacher from scratch: MAE / VideoMAE pre-training with
its config through the stock Runner, then its backbone in fp16 and the
file's SHA-256 (to ship it: copy it over ``teacher_checkpoint`` and put the
hash in ``teacher_sha256`` of the recipe's AMD config).

    python tools/make_teacher.py                      # the Fashion-MNIST image teacher
    python tools/make_teacher.py --recipe moving-fashion-mnist   # the video teacher
    python tools/make_teacher.py --out checkpoints/   # overwrite the shipped file's folder
    python tools/make_teacher.py --recipe fashion-mnist-finetuned
        # the shipped image teacher fine-tuned on labels, in timm's format (DMAE's
        # pre-trained vs fine-tuned teacher: configs/amd/amd_vit-nano-p4_ft-teacher_*.py)
"""
import argparse
import os.path as osp
import time

import torch

from amd_mm.apis.shipped import (FINETUNED_TEACHER, RECIPES, ROOT, make_finetuned_teacher,
                                 make_teacher, sha256, shipped_teacher)

FINETUNED = 'fashion-mnist-finetuned'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--recipe', default='fashion-mnist', choices=sorted(RECIPES) + [FINETUNED])
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
    if args.recipe == FINETUNED:
        out, _ = make_finetuned_teacher(
            args.work_dir or osp.join(ROOT, 'work_dirs', 'teacher_finetuned'), args.data,
            workers=args.workers,
            out=args.out and osp.join(args.out, osp.basename(FINETUNED_TEACHER)))
        print(f'teacher written to {out} in {(time.time() - start) / 60:.1f} min\n'
              f'SHA-256 {sha256(out)} (to ship it: copy it to {FINETUNED_TEACHER} and set '
              'finetuned_teacher_sha256 in configs/amd/amd_vit-nano-p4_ft-teacher_fashion-mnist.py)')
        return
    if args.recipe == 'moving-fashion-mnist':  # the videos are generated, not fetched
        from amd_mm.datasets.moving_items import make_moving_fashion_mnist
        make_moving_fashion_mnist(args.data or osp.join(ROOT, 'data', 'moving_fashion_mnist'))
    out, _ = make_teacher(work_dir, args.data, workers=args.workers, out_dir=args.out,
                          recipe=args.recipe)
    print(f'teacher written to {out} in {(time.time() - start) / 60:.1f} min\n'
          f'SHA-256 {sha256(out)} (recorded: {shipped_teacher(args.recipe)[1]})')


if __name__ == '__main__':
    main()
