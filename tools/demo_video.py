#!/usr/bin/env python
"""The video demo: on Moving Fashion-MNIST, does masked distillation from a
larger VideoMAE teacher give a nano video ViT more than plain VideoMAE does,
once fine-tuned through MMAction2 (amd_mm.apis.demo_video; results in
docs/results/video.md)?

    python tools/demo_video.py                  # one seed, about 20 min on 2 cores
    python tools/demo_video.py --seeds 0,1,2    # the results table
"""
from amd_mm.apis.demo_video import main

if __name__ == '__main__':
    main()
