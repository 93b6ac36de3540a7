"""What a masked pre-training config's pipeline hands the model: per sample
(per view of a video) the image, the student's view and the teacher's view
with its extra (diff) tokens tinted, after the data preprocessor, as the
model's ``split_views`` reads them."""
import copy

import numpy as np

from ..benchmark.configs import find_masking
from ..models.utils import TokenSplit
from .mask_panels import mask_panels


def pipeline_picture(cfg, num_samples: int = 8, scale: int = 4) -> np.ndarray:
    """One picture of the first ``num_samples`` training samples of ``cfg``
    (one row per sample, or per view with ``RepeatedViews``)."""
    from mmengine.registry import DATASETS, FUNCTIONS, MODELS, init_default_scope
    if find_masking(cfg) is None:
        raise ValueError(f'{cfg.filename}: no AsymmetricMasking transform in its training '
                         'pipeline (not a masked pre-training config)')
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f'num_samples must be an int >= 1, got {num_samples!r}')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    loader = cfg.train_dataloader
    dataset = DATASETS.build(copy.deepcopy(loader.dataset))
    collate = FUNCTIONS.get(loader.get('collate_fn', dict(type='pseudo_collate'))['type'])
    batch = collate([dataset[i] for i in range(min(num_samples, len(dataset)))])
    preprocessor_cfg = cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor')
    preprocessor = MODELS.build(copy.deepcopy(preprocessor_cfg))
    data = preprocessor(batch, False)
    inputs, samples = data['inputs'], data['data_samples']
    views = inputs.shape[1] if inputs.ndim == 6 else 1  # (B, V, C, T, H, W)
    tokens = TokenSplit.from_data_samples(samples, views)
    if views > 1:
        inputs = inputs.flatten(0, 1)
    return mask_panels(inputs, None, tokens, preprocessor.mean.flatten().tolist(),
                       preprocessor.std.flatten().tolist(), cfg.model.backbone.patch_size, scale)
