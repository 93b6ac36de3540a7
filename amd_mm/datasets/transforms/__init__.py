from .asymmetric_masking import AsymmetricMasking, num_masked
from .video_length import CheckVideoLength, VideoTooShortError

__all__ = ['AsymmetricMasking', 'CheckVideoLength', 'VideoTooShortError', 'num_masked']
