"""Fixed sin-cos position tables for any token layout (frames x grid)."""
import math

import torch


def sincos_1d(positions: torch.Tensor, dims: int, interleaved: bool = False) -> torch.Tensor:
    """The transformer sinusoid table of (P,) positions -> (P, dims).

    Channel pair ``i`` holds ``sin`` and ``cos`` of ``position / 10000 ** (2i
    / dims)``. ``interleaved=False`` lays them out as [sin | cos] halves (MAE's
    ``get_1d_sincos_pos_embed_from_grid``); ``interleaved=True`` as sin, cos,
    sin, cos, ... (VideoMAE's ``get_sinusoid_encoding_table``, an odd last
    channel being a sine).
    """
    positions = positions.double()[:, None]
    if interleaved:
        channel = torch.arange(dims, dtype=torch.float64)
        angles = positions / torch.pow(10000.0, 2 * torch.div(channel, 2, rounding_mode='floor') / dims)
        table = torch.where(channel % 2 == 0, angles.sin(), angles.cos())
        return table.float()
    half = dims // 2
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half)
    angles = positions * freq[None]
    table = torch.cat([angles.sin(), angles.cos()], dim=1)
    if dims % 2:
        table = torch.cat([table, torch.zeros(len(positions), 1, dtype=table.dtype)], 1)
    return table.float()


def sincos_table(grid, dims: int, num_prefix: int = 0) -> torch.Tensor:
    """Position table for a token grid, laid out as the encoder of the same
    layout lays out its own.

    Args:
        grid (tuple[int]): (H, W) for images -> the 2-D sin-cos of MAE (half
            the channels encode the column, half the row, each as [sin | cos]
            halves); (T, H, W) for video -> VideoMAE's 1-D sinusoid over the
            flattened raster index, sin and cos interleaved (MCG-NJU/VideoMAE
            and MCG-NJU/AMD ``modeling_pretrain.py``), the table the video
            encoder and teacher carry, so that generators predicting teacher
            features see the teacher's own position code.
        dims (int): channels.
        num_prefix (int): leading all-zero rows (the CLS token's position).

    Returns:
        Tensor: (1, num_prefix + prod(grid), dims).

    Example:
        >>> sincos_table((2, 3), 8, num_prefix=1).shape
        torch.Size([1, 7, 8])
    """
    grid = tuple(int(g) for g in grid)
    if len(grid) == 2:
        rows, cols = torch.meshgrid(torch.arange(grid[0]), torch.arange(grid[1]),
                                    indexing='ij')
        table = torch.cat([sincos_1d(cols.flatten(), dims // 2),
                           sincos_1d(rows.flatten(), dims - dims // 2)], dim=1)
    elif len(grid) == 3:
        table = sincos_1d(torch.arange(math.prod(grid)), dims, interleaved=True)
    else:
        raise ValueError(f'grid must be (H, W) or (T, H, W), got {grid}')
    table = torch.cat([torch.zeros(num_prefix, dims), table], dim=0)
    return table.unsqueeze(0)
