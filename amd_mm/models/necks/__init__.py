from .distill_neck import DistillNeck
from .token_decoder import MaskedTokenDecoder

__all__ = ['DistillNeck', 'MaskedTokenDecoder']
