from .distill_head import MaskedDistillHead, patchify, pixel_targets, unpatchify

__all__ = ['MaskedDistillHead', 'patchify', 'pixel_targets', 'unpatchify']
