#!/usr/bin/env python
"""Dense transfer of the shipped students: the pre-trained encoders
fine-tuned as a Mask R-CNN backbone (MMDetection, ViTDet recipe) and as an
UperNet backbone (MMSegmentation) on Fashion-MNIST canvases, scored with
COCO bbox/segm mAP and mIoU (amd_mm.apis.demo_dense; results in
docs/results/detection.md and docs/results/segmentation.md).

    python tools/demo_det.py                          # one seed, 4 encoders, det + seg
    python tools/demo_det.py --seeds 0,1,2 --det-iters 600 --no-seg   # the detection table
    python tools/demo_det.py --seeds 0,1,2 --no-det                   # the segmentation table
"""
from amd_mm.apis.demo_dense import main

if __name__ == '__main__':
    main()
