from .token_align_loss import TokenAlignLoss, normalize_tokens

__all__ = ['TokenAlignLoss', 'normalize_tokens']
