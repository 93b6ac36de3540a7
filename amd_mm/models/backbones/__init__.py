from .masked_encoder import EncoderOutput, MaskedEncoderMixin, TokenGeometry
from .masked_video_vit import MaskedVideoViT
from .masked_vit import MaskedViT

__all__ = ['EncoderOutput', 'MaskedEncoderMixin', 'MaskedVideoViT', 'MaskedViT',
           'TokenGeometry']
