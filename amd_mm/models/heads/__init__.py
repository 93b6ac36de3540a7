from .distill_head import MaskedDistillHead, patchify, pixel_targets

__all__ = ['MaskedDistillHead', 'patchify', 'pixel_targets']
