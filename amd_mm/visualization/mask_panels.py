"""Pictures of what the student and the teacher see, and what the student
reconstructs."""
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..models.utils import TokenSplit

DIFF_TINT = torch.tensor([255., 80., 40.])  # diff tokens: seen by the teacher only


def _token_map(index: torch.Tensor, num_tokens: int) -> torch.Tensor:
    marks = torch.zeros(index.shape[0], num_tokens, dtype=torch.bool, device=index.device)
    return marks.scatter(1, index, True)


def mask_panels(inputs: torch.Tensor, reconstruction: Optional[torch.Tensor], tokens: TokenSplit,
                mean: Sequence[float], std: Sequence[float], patch_size: int,
                scale: int = 4) -> np.ndarray:
    """One row per sample: original | student's view | teacher's view (diff
    tokens tinted) | reconstruction (visible patches + prediction; the column
    is left out when ``reconstruction`` is None, for models without a pixel
    decoder).

    ``inputs``/``reconstruction`` are (B, C, H, W) or (B, C, T, H, W) in the
    data preprocessor's normalised space (video shows its first frame).
    Returns an (rows*H*scale, columns*W*scale, 3) uint8 image.
    """
    if inputs.ndim == 5:  # first frame; tokens of the first temporal slot
        inputs = inputs[:, :, 0]
        reconstruction = None if reconstruction is None else reconstruction[:, :, 0]
    B, C, H, W = inputs.shape
    gh, gw = H // patch_size, W // patch_size
    mean_t = torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    std_t = torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1)

    def to_rgb(x):
        x = (x.float().cpu() * std_t + mean_t).clamp(0, 255)
        return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x

    def upsample(token_mask):  # (B, N_slot) -> (B, 1, H, W) float
        grid = token_mask[:, :gh * gw].float().view(B, 1, gh, gw)
        return F.interpolate(grid, scale_factor=patch_size, mode='nearest')

    n = gh * gw
    visible = upsample(_token_map(tokens.student_visible.cpu() % n, n))
    diff = upsample(_token_map(tokens.diff.cpu() % n, n)) if tokens.num_diff else torch.zeros_like(visible)
    original = to_rgb(inputs)
    grey = torch.full_like(original, 96.)
    student_view = original * visible + grey * (1 - visible)
    tint = DIFF_TINT.view(1, 3, 1, 1)
    teacher_view = student_view * (1 - diff) + (0.5 * original + 0.5 * tint) * diff
    columns = [original, student_view, teacher_view]
    if reconstruction is not None:
        columns.append(to_rgb(reconstruction))
    row = torch.cat(columns, dim=3)  # (B, 3, H, columns * W)
    row = F.interpolate(row, scale_factor=scale, mode='nearest')
    picture = torch.cat(list(row), dim=1)  # stack samples vertically
    return picture.permute(1, 2, 0).round().to(torch.uint8).numpy()
