from .asymmetric_masking import (AsymmetricMasking, MaskingFieldMixin, fill_masking,
                                 masking_of, num_masked)
from .repeated_views import RepeatedViews
from .video_length import CheckVideoLength, VideoTooShortError

__all__ = ['AsymmetricMasking', 'CheckVideoLength', 'MaskingFieldMixin', 'RepeatedViews',
           'VideoTooShortError', 'fill_masking', 'masking_of', 'num_masked']
