from .browse import pipeline_picture
from .mask_panels import mask_panels

__all__ = ['mask_panels', 'pipeline_picture']
