"""Linear-probe evaluation of frozen features."""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F

# L2 penalties tried on the validation split (per-sample mean loss + wd * |W|^2)
WEIGHT_DECAYS = (1e-5, 1e-4, 1e-3, 1e-2)


@torch.no_grad()
def extract_features(backbone: torch.nn.Module, images: torch.Tensor, mean: Sequence[float],
                     std: Sequence[float], batch_size: int = 1000) -> torch.Tensor:
    """Features of uint8 images (N, C, H, W) from a backbone's unmasked
    forward (its first output), normalised as in pre-training."""
    backbone.eval()
    mean_t = torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    std_t = torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    chunks = []
    for start in range(0, len(images), batch_size):
        x = (images[start:start + batch_size].float() - mean_t) / std_t
        out = backbone(x)
        chunks.append((out[0] if isinstance(out, (tuple, list)) else out).flatten(1))
    return torch.cat(chunks)


def linear_probe(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor,
                 test_y: torch.Tensor, weight_decay: float = 1e-4,
                 max_iter: int = 300) -> float:
    """Top-1 test accuracy of a multinomial logistic regression on frozen
    features, standardised with the training statistics (as MAE's linear
    probe does with a non-affine BatchNorm) and fitted by full-batch L-BFGS
    (deterministic: no sampling, no learning-rate schedule)."""
    mean, std = train_x.mean(0, keepdim=True), train_x.std(0, keepdim=True) + 1e-6
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    num_classes = int(max(train_y.max(), test_y.max())) + 1
    weight = torch.zeros(train_x.shape[1], num_classes, requires_grad=True)
    bias = torch.zeros(num_classes, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], lr=1, max_iter=max_iter,
                                  history_size=20, line_search_fn='strong_wolfe')

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(train_x @ weight + bias, train_y) + \
            weight_decay * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        predictions = (test_x @ weight + bias).argmax(1)
    return float((predictions == test_y).float().mean())


def select_weight_decay(train_x: torch.Tensor, train_y: torch.Tensor, val_x: torch.Tensor,
                        val_y: torch.Tensor,
                        grid: Sequence[float] = WEIGHT_DECAYS) -> Tuple[float, float]:
    """``(weight_decay, validation accuracy)`` of the best probe over ``grid``
    on a validation split (ties go to the stronger penalty)."""
    scores = [(linear_probe(train_x, train_y, val_x, val_y, wd), wd) for wd in grid]
    accuracy, weight_decay = max(scores, key=lambda s: (s[0], s[1]))
    return weight_decay, accuracy
