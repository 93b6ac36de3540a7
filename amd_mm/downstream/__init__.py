"""What the downstream packages lack for amd_mm's students: layer-wise lr
decay that works in MMAction2 and MMDetection, and ViTDet's backbone and
simple feature pyramid (registered in mmdet's registry)."""
from .layer_decay import ViTLayerDecayOptimWrapperConstructor, vit_layer_depth
from .simple_fpn import SimpleFPN
from .vitdet import ViTDet

__all__ = ['SimpleFPN', 'ViTDet', 'ViTLayerDecayOptimWrapperConstructor',
           'vit_layer_depth']
