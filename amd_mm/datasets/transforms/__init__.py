from .asymmetric_masking import AsymmetricMasking, num_masked

__all__ = ['AsymmetricMasking', 'num_masked']
