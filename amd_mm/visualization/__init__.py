from .mask_panels import mask_panels

__all__ = ['mask_panels']
