from .masked_encoder import EncoderOutput, MaskedEncoderMixin
from .masked_vit import MaskedViT

__all__ = ['EncoderOutput', 'MaskedEncoderMixin', 'MaskedViT']
