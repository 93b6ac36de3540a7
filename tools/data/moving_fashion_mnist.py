#!/usr/bin/env python
"""Generate Moving Fashion-MNIST: H.264 videos of real Fashion-MNIST items
moving and bouncing, with MMAction2 VideoDataset lists for two labels (the
item's class and its initial direction of motion, 8 classes), and optionally
the same videos in the AVA 2.2 layout for spatio-temporal detection.

    python tools/data/moving_fashion_mnist.py [--out data/moving_fashion_mnist]
        [--num-train 2000 --num-val 300 --num-test 500 --seed 0] [--ava]

Cached: a run with the parameters of the existing manifest.json returns at
once. See amd_mm/datasets/moving_items.py for what a video shows.
"""
import argparse
import os.path as osp
import time

from amd_mm.datasets.moving_items import make_moving_fashion_mnist

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=osp.join(ROOT, 'data', 'moving_fashion_mnist'))
    parser.add_argument('--fashion-root', default=osp.join(ROOT, 'data', 'fashion-mnist'))
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=300)
    parser.add_argument('--num-test', type=int, default=500)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--fps', type=int, default=10)
    parser.add_argument('--crf', type=int, default=18)
    parser.add_argument('--distractor', action='store_true',
                        help='a second, unlabelled moving item per video')
    parser.add_argument('--ava', action='store_true',
                        help='also write the AVA 2.2 layout under OUT/ava')
    args = parser.parse_args(argv)
    start = time.time()
    paths = make_moving_fashion_mnist(
        args.out, num_train=args.num_train, num_val=args.num_val, num_test=args.num_test,
        seed=args.seed, frames=args.frames, size=args.size, fps=args.fps, crf=args.crf,
        distractor=args.distractor, fashion_root=args.fashion_root, verbose=True)
    if args.ava:
        from amd_mm.datasets.moving_items_ava import make_moving_fashion_mnist_ava
        paths.update(make_moving_fashion_mnist_ava(args.out, verbose=True))
    print(f'moving fashion-mnist in {args.out} ({time.time() - start:.1f} s)')
    return paths


if __name__ == '__main__':
    main()
