from .pos_embed import sincos_table
from .tokens import TokenSplit, gather_tokens

__all__ = ['TokenSplit', 'gather_tokens', 'sincos_table']
