from .browse import pipeline_picture
from .mask_panels import mask_panels
from .plots import plot_accuracy, plot_losses

__all__ = ['mask_panels', 'pipeline_picture', 'plot_accuracy', 'plot_losses']
