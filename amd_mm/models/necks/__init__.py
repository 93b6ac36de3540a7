from .distill_neck import DistillNeck, NeckOutput, TokenPrediction
from .token_decoder import MaskedTokenDecoder

__all__ = ['DistillNeck', 'MaskedTokenDecoder', 'NeckOutput', 'TokenPrediction']
