#!/usr/bin/env python
"""Fashion-MNIST canvases for MMDetection and MMSegmentation: a COCO-format
instance-segmentation set of real items on grey canvases (and the same
canvases as a semantic-segmentation set); what a canvas holds is described
in amd_mm/datasets/fashion_canvases.py. Cached under data/fashion_canvases/.

    python tools/data/fashion_canvases.py                       # the demo's set
    python tools/data/fashion_canvases.py --size 128 --train 4000 --seed 1
"""
import argparse

from amd_mm.datasets.fashion_canvases import make_canvases


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=None, help='default: data/fashion_canvases')
    parser.add_argument('--fashion', default=None, help='default: data/fashion-mnist')
    parser.add_argument('--size', type=int, default=64, help='canvas side in pixels')
    parser.add_argument('--train', type=int, default=2000)
    parser.add_argument('--val', type=int, default=300)
    parser.add_argument('--test', type=int, default=300)
    parser.add_argument('--max-items', type=int, default=5)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    print(make_canvases(args.out, args.fashion, args.size, args.train, args.val, args.test,
                        args.seed, args.max_items))


if __name__ == '__main__':
    main()
