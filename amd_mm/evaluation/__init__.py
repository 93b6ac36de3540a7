from .linear_probe import extract_features, linear_probe

__all__ = ['extract_features', 'linear_probe']
