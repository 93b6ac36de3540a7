"""Layer-wise learning-rate decay for any ViT in any downstream package."""
import re
from functools import partial
from typing import Tuple

from mmpretrain.engine.optimizers import LearningRateDecayOptimWrapperConstructor

from ..registry import (MMACTION_OPTIM_WRAPPER_CONSTRUCTORS,
                        MMDET_OPTIM_WRAPPER_CONSTRUCTORS,
                        OPTIM_WRAPPER_CONSTRUCTORS)

_BLOCK = re.compile(r'^(?:layers|blocks)\.(\d+)\.')
_EMBEDDING = re.compile(r'^(cls_token|pos_embed|mask_token|patch_embed)(\.|$)')


def vit_layer_depth(param_name: str, num_blocks: int,
                    prefix: str = 'backbone.') -> Tuple[int, int]:
    """The layer depth of a parameter of a ViT in any key layout, as
    mmpretrain's ``VisionTransformer.get_layer_depth`` counts it.

    Embeddings are depth 0, block ``i`` (``layers.i`` or ``blocks.i``) is
    ``i + 1``; the final norm and everything outside the backbone (neck,
    heads) is ``num_blocks + 1``, the full learning rate.

    Returns:
        Tuple[int, int]: the depth and the number of depths (``num_blocks + 2``).
    """
    num_depths = num_blocks + 2
    if not param_name.startswith(prefix):
        return num_depths - 1, num_depths
    name = param_name[len(prefix):]
    if _EMBEDDING.match(name):
        return 0, num_depths
    block = _BLOCK.match(name)
    if block:
        return int(block.group(1)) + 1, num_depths
    return num_depths - 1, num_depths


def _num_blocks(backbone) -> int:
    for name in ('layers', 'blocks'):
        if hasattr(backbone, name):
            return len(getattr(backbone, name))
    raise NotImplementedError(
        f'layer-wise lr decay: {type(backbone).__name__} has neither '
        '`get_layer_depth` nor `layers`/`blocks`')


class ViTLayerDecayOptimWrapperConstructor(LearningRateDecayOptimWrapperConstructor):
    """mmpretrain's ``LearningRateDecayOptimWrapperConstructor`` for models
    that do not report layer depth themselves: MMAction2's ``Recognizer3D``
    and ``FastRCNN`` (whose own constructor only knows backbones named
    ``*VisionTransformer*``/``*MViT*``) and MMDetection's detectors.

    The depth comes from ``model.get_layer_depth`` when the model has one,
    else from ``model.backbone.get_layer_depth`` (mmpretrain ViTs, amd_mm's
    ``MaskedViT`` and ``ViTDet``), else from :func:`vit_layer_depth` over the
    backbone's ``layers``/``blocks`` (MMAction2's VideoMAE ViT, amd_mm's
    ``MaskedVideoViT``). ``paramwise_cfg`` is mmpretrain's:
    ``layer_decay_rate``, ``custom_keys``, ``norm_decay_mult``,
    ``bias_decay_mult``, ``flat_decay_mult``.

    Example:
        >>> optim_wrapper = dict(
        ...     optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
        ...     constructor='ViTLayerDecayOptimWrapperConstructor',
        ...     paramwise_cfg=dict(layer_decay_rate=0.75, flat_decay_mult=0.))
    """

    def add_params(self, params, module, prefix='', get_layer_depth=None, **kwargs):
        if get_layer_depth is None and not hasattr(module, 'get_layer_depth'):
            backbone = module.backbone
            if hasattr(backbone, 'get_layer_depth'):
                get_layer_depth = partial(backbone.get_layer_depth, prefix='backbone.')
            else:
                get_layer_depth = partial(vit_layer_depth, num_blocks=_num_blocks(backbone))
        super().add_params(params, module, prefix=prefix,
                           get_layer_depth=get_layer_depth, **kwargs)


for _registry in (OPTIM_WRAPPER_CONSTRUCTORS, MMACTION_OPTIM_WRAPPER_CONSTRUCTORS,
                  MMDET_OPTIM_WRAPPER_CONSTRUCTORS):
    _registry.register_module(module=ViTLayerDecayOptimWrapperConstructor)
