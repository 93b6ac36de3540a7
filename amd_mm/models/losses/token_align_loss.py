"""Per-token comparison of a prediction with a target, by config."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...registry import MODELS

CRITERIA = ('l2', 'l1', 'smooth_l1', 'cosine')
NORMS = (None, 'l2', 'layer_norm')


def normalize_tokens(x: torch.Tensor, kind: Optional[str]) -> torch.Tensor:
    """'l2': unit vectors (DMAE); 'layer_norm': per-token standardisation
    without affine, unbiased variance, eps 1e-6 inside the root (dBOT)."""
    if kind is None:
        return x
    if kind == 'l2':
        return F.normalize(x, dim=-1)
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, keepdim=True)
    return (x - mean) / (var + 1e-6).sqrt()


@MODELS.register_module()
class TokenAlignLoss(nn.Module):
    """Mean over all elements of ``criterion(norm(pred), norm(target))``.

    Args:
        criterion (str): 'l2' (MSE, AMD), 'l1' (DMAE), 'smooth_l1' (dBOT with
            ``beta=2``) or 'cosine' (1 - cosine similarity per token).
        beta (float): SmoothL1 threshold.
        pred_norm (str, optional): None, 'l2' or 'layer_norm' on predictions.
        target_norm (str, optional): the same on targets.
        loss_weight (float): multiplier.

    Example:
        >>> import torch
        >>> loss = TokenAlignLoss('l1', pred_norm='l2', target_norm='l2')
        >>> x = torch.rand(2, 5, 8)
        >>> float(loss(x, 3 * x)) < 1e-6
        True
    """

    def __init__(self,
                 criterion: str = 'l2',
                 beta: float = 1.0,
                 pred_norm: Optional[str] = None,
                 target_norm: Optional[str] = None,
                 loss_weight: float = 1.0):
        super().__init__()
        for field, value, allowed in (('criterion', criterion, CRITERIA),
                                      ('pred_norm', pred_norm, NORMS),
                                      ('target_norm', target_norm, NORMS)):
            if value not in allowed:
                raise ValueError(f'TokenAlignLoss.{field} must be one of '
                                 f'{allowed}, got {value!r}')
        self.criterion = criterion
        self.beta = beta
        self.pred_norm = pred_norm
        self.target_norm = target_norm
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if pred.shape != target.shape:
            raise ValueError(f'prediction {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        pred = normalize_tokens(pred.float(), self.pred_norm)
        target = normalize_tokens(target.float(), self.target_norm)
        if self.criterion == 'l2':
            loss = F.mse_loss(pred, target)
        elif self.criterion == 'l1':
            loss = F.l1_loss(pred, target)
        elif self.criterion == 'smooth_l1':
            loss = F.smooth_l1_loss(pred, target, beta=self.beta)
        else:
            loss = (1 - F.cosine_similarity(pred, target, dim=-1)).mean()
        return self.loss_weight * loss
