#!/usr/bin/env python
"""Fetch the real data amd_mm's demos and tests use into ``data/`` (never
committed): Fashion-MNIST and the sample videos (amd_mm.datasets.fetch).

    python tools/data/fetch_data.py [--root data]
"""
import argparse
import os.path as osp

from amd_mm.datasets.fetch import fetch_fashion_mnist, fetch_videos


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--root', default=osp.join(osp.dirname(__file__), '..', '..', 'data'))
    args = parser.parse_args()
    root = osp.abspath(args.root)
    fetch_fashion_mnist(root)
    fetch_videos(root)


if __name__ == '__main__':
    main()
