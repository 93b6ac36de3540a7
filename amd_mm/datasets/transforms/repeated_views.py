"""Repeated augmentation of one decoded clip (AMD/VideoMAE ``--num_sample``)."""
import copy
from typing import List, Sequence

import numpy as np
from mmcv.transforms import BaseTransform, Compose

from ...registry import TRANSFORMS

MASK_KEYS = ('mask', 'diff_mask', 'teacher_mask')


@TRANSFORMS.register_module()
class RepeatedViews(BaseTransform):
    """Run ``transforms`` ``num_views`` times on one decoded clip, each time
    with its own random crop and its own masks, and stack the views.

    This is the official repeated augmentation (``--num_sample 4``): a video
    is decoded once and its copies differ in crop and mask only, so decoding,
    the loader's main cost, is paid once per ``num_views`` training clips.
    ``imgs`` (``FormatShape`` output, ``(1, C, T, H, W)`` per view) are
    concatenated to ``(num_views, C, T, H, W)``, which the model reads as
    ``num_views`` clips of one sample; the masks become
    ``(num_views, *grid)``. Other keys are the first view's.

    Args:
        transforms (list[dict]): the per-view pipeline, from the first
            random augmentation to the mask transform (e.g. MultiScaleCrop,
            Resize, FormatShape, AsymmetricMasking).
        num_views (int): views per video; the loader's ``batch_size`` counts
            videos, so a batch holds ``batch_size * num_views`` clips.
    """

    def __init__(self, transforms: Sequence[dict], num_views: int):
        if isinstance(num_views, bool) or not isinstance(num_views, int) or num_views < 1:
            raise ValueError(f'RepeatedViews.num_views must be an int >= 1, got {num_views!r}')
        if not transforms:
            raise ValueError('RepeatedViews.transforms is empty: give the per-view '
                             'pipeline (crop, resize, FormatShape, masking)')
        self.num_views = num_views
        # built here, in amd_mm's (mmpretrain's) registry, so that the
        # transforms resolve whatever the caller's default scope
        self.transforms = Compose([TRANSFORMS.build(t) if isinstance(t, dict) else t
                                   for t in transforms])

    def transform(self, results: dict) -> dict:
        views: List[dict] = []
        for _ in range(self.num_views):
            view = self.transforms(copy.copy(results))  # new dict; frames are not written to
            if view is None:
                return None
            views.append(view)
        out = views[0]
        imgs = [v['imgs'] for v in views]
        if any(not isinstance(x, np.ndarray) or x.ndim != 5 for x in imgs):
            # TypeError: a config mistake must stop the run, not be "skipped"
            raise TypeError(
                'RepeatedViews needs FormatShape(input_format="NCTHW") inside its '
                f'transforms: got imgs of type {type(imgs[0]).__name__} with shape '
                f'{getattr(imgs[0], "shape", None)}, expected (1, C, T, H, W)')
        out['imgs'] = np.concatenate(imgs, axis=0)
        for key in MASK_KEYS:
            if key in out:
                out[key] = np.stack([np.asarray(v[key]) for v in views])
        return out

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_views={self.num_views}, '
                f'transforms={self.transforms})')
