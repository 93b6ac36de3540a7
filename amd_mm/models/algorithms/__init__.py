from .masked_distiller import MaskedDistiller

__all__ = ['MaskedDistiller']
