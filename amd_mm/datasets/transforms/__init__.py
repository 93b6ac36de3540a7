from .asymmetric_masking import AsymmetricMasking, num_masked
from .repeated_views import RepeatedViews
from .video_length import CheckVideoLength, VideoTooShortError

__all__ = ['AsymmetricMasking', 'CheckVideoLength', 'RepeatedViews',
           'VideoTooShortError', 'num_masked']
