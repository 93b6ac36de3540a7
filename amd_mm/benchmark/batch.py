"""The masked batch: inputs plus data samples carrying the masks of a
config's ``AsymmetricMasking`` transform, as the pipeline packs them. The one
builder used by the benchmark, the tests and anything else that needs a
batch without a data loader."""
import copy
import time
from typing import Optional, Sequence

import numpy as np
import torch


def build_masking(cfg):
    """The config's ``AsymmetricMasking`` transform, built (None without
    one, e.g. mmpretrain's MAE, which masks inside its backbone)."""
    from mmpretrain.registry import TRANSFORMS

    from .configs import find_masking
    node = find_masking(cfg)
    return TRANSFORMS.build(copy.deepcopy(node)) if node is not None else None


def masked_batch(masking, inputs: torch.Tensor, views: int = 1) -> dict:
    """``inputs`` (one row per sample) with one ``DataSample`` per sample
    holding the masks of ``masking`` (its ``mask`` and every other field it
    returns, e.g. ``diff_mask``); ``views`` > 1: one mask per view, stacked,
    as ``RepeatedViews`` packs them. ``masking`` None: samples without
    masks."""
    from mmpretrain.structures import DataSample
    samples = []
    for _ in range(len(inputs)):
        sample = DataSample()
        if masking is not None:
            outs = [masking.transform({}) for _ in range(views)]
            out = {k: (np.stack([o[k] for o in outs]) if views > 1 else outs[0][k])
                   for k in outs[0]}
            sample.set_mask(out.pop('mask'))
            for key, value in out.items():
                sample.set_field(value, key)
        samples.append(sample)
    return dict(inputs=torch.as_tensor(inputs), data_samples=samples)


def input_shape(model, masking, views: int = 1) -> tuple:
    """Per-sample input shape from the patch embedding and the token grid:
    (C, H, W) for a 2-D patch embedding, (views, C, T, H, W) for a 3-D one."""
    embed = model.backbone.patch_embed
    proj = getattr(embed, 'projection', None) or getattr(embed, 'proj')
    kernel = tuple(proj.kernel_size)
    if masking is not None:
        grid = tuple(masking.input_size)  # (T, H, W), T=1 for images
    else:
        grid = (1, ) + tuple(model.backbone.patch_resolution)
    if len(kernel) == 3:
        return (views, proj.in_channels) + tuple(g * k for g, k in zip(grid, kernel))
    return (proj.in_channels, grid[-2] * kernel[0], grid[-1] * kernel[1])


def synthetic_batch(model, masking, batch_size: int,
                    shape: Optional[Sequence[int]] = None, seed: int = 0,
                    pin: bool = False, views: int = 1) -> dict:
    """One batch as ``default_collate`` gives it: random uint8 inputs of
    ``shape`` per sample (default: inferred from ``model`` and ``masking``)
    and the pipeline's masks."""
    shape = tuple(shape) if shape else input_shape(model, masking, views)
    gen = torch.Generator().manual_seed(seed)
    inputs = torch.randint(0, 256, (batch_size, ) + shape, dtype=torch.uint8,
                           generator=gen)
    if pin:
        inputs = inputs.pin_memory()
    return masked_batch(masking, inputs, views)


def mask_transform_us(masking, repeats: int = 200) -> Optional[float]:
    """Per-sample cost of the mask transform (microseconds)."""
    if masking is None:
        return None
    masking.transform({})
    start = time.perf_counter()
    for _ in range(repeats):
        masking.transform({})
    return (time.perf_counter() - start) / repeats * 1e6
