#!/usr/bin/env python
"""The main job: on real Fashion-MNIST, what masked distillation from a
better teacher gives a small ViT that plain masked autoencoding does not
(amd_mm.apis.demo_image; results in docs/results/image.md).

    python tools/demo.py                         # MAE and AMD, one seed: 13 min on 2 cores
    python tools/demo.py --methods mae,amd,amd_sym,dmae,dbot --seeds 0,1,2 --finetune-teacher
                                                 # the results table
    python tools/demo.py --retrain-teacher       # re-make the teacher first
    python tools/demo.py --study asymmetry --jobs 2
                                                 # a controlled study (amd_mm.apis.study):
                                                 # asymmetry (image) or motion (video)
"""
import sys

if __name__ == '__main__':
    if any(a == '--study' or a.startswith('--study=') for a in sys.argv[1:]):
        from amd_mm.apis.study import main
    else:
        from amd_mm.apis.demo_image import main
    main()
