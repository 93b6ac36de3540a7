"""Fixed sin-cos position tables for any token layout (frames x grid)."""
import math

import torch


def sincos_1d(positions: torch.Tensor, dims: int) -> torch.Tensor:
    """The transformer sinusoid table of (P,) positions -> (P, dims), laid out
    as [sin | cos] halves (VideoMAE interleaves them; a fixed permutation of
    channels, equivalent for learning)."""
    half = dims // 2
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half)
    angles = positions.double()[:, None] * freq[None]
    table = torch.cat([angles.sin(), angles.cos()], dim=1)
    if dims % 2:
        table = torch.cat([table, torch.zeros(len(positions), 1, dtype=table.dtype)], 1)
    return table.float()


def sincos_table(grid, dims: int, num_prefix: int = 0) -> torch.Tensor:
    """Position table for a token grid.

    Args:
        grid (tuple[int]): (H, W) for images -> the 2-D sin-cos of MAE (half
            the channels encode the row, half the column); (T, H, W) for video
            -> the 1-D sinusoid over the flattened raster index, as VideoMAE.
        dims (int): channels.
        num_prefix (int): leading all-zero rows (the CLS token's position).

    Returns:
        Tensor: (1, num_prefix + prod(grid), dims).
    """
    grid = tuple(int(g) for g in grid)
    if len(grid) == 2:
        rows, cols = torch.meshgrid(torch.arange(grid[0]), torch.arange(grid[1]),
                                    indexing='ij')
        table = torch.cat([sincos_1d(cols.flatten(), dims // 2),
                           sincos_1d(rows.flatten(), dims - dims // 2)], dim=1)
    elif len(grid) == 3:
        table = sincos_1d(torch.arange(math.prod(grid)), dims)
    else:
        raise ValueError(f'grid must be (H, W) or (T, H, W), got {grid}')
    table = torch.cat([torch.zeros(num_prefix, dims), table], dim=0)
    return table.unsqueeze(0)
