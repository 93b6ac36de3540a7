from .dbot import dBOT
from .dmae import DMAE
from .masked_distiller import MaskedDistiller

__all__ = ['DMAE', 'MaskedDistiller', 'dBOT']
