from .distill_head import (InputNorm, MaskedDistillHead, patchify, pixel_targets,
                           unpatchify)

__all__ = ['InputNorm', 'MaskedDistillHead', 'patchify', 'pixel_targets', 'unpatchify']
