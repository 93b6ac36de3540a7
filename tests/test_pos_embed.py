"""amd_mm/models/utils/pos_embed.py: the fixed sin-cos tables, pinned against
independent computations of the official formulas."""
import numpy as np
import pytest
import torch

from amd_mm.models.utils import sincos_table
from amd_mm.models.utils.pos_embed import sincos_1d


def videomae_table(n_position, d_hid):
    """VideoMAE's get_sinusoid_encoding_table (MCG-NJU/VideoMAE and
    MCG-NJU/AMD modeling_pretrain.py), written out in numpy."""
    table = np.array([[pos / np.power(10000, 2 * (j // 2) / d_hid) for j in range(d_hid)]
                      for pos in range(n_position)])
    table[:, 0::2] = np.sin(table[:, 0::2])
    table[:, 1::2] = np.cos(table[:, 1::2])
    return torch.tensor(table, dtype=torch.float32)[None]


def mae_2d_table(grid_h, grid_w, dims):
    """MAE's get_2d_sincos_pos_embed (facebookresearch/mae util/pos_embed.py)
    for a (grid_h, grid_w) grid, in numpy."""
    def one_d(d, pos):
        omega = 1. / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.))
        out = np.einsum('m,d->md', pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)
    grid = np.meshgrid(np.arange(grid_w, dtype=np.float64),
                       np.arange(grid_h, dtype=np.float64))  # w first, as MAE
    grid = np.stack(grid, 0)
    table = np.concatenate([one_d(dims // 2, grid[0]), one_d(dims // 2, grid[1])], 1)
    return torch.tensor(table, dtype=torch.float32)[None]


@pytest.mark.parametrize('grid, dims', [((2, 3, 3), 16), ((4, 7, 7), 128), ((8, 14, 14), 1024)])
def test_video_table_is_videomae_interleaved(grid, dims):
    table = sincos_table(grid, dims)
    n = int(np.prod(grid))
    torch.testing.assert_close(table, videomae_table(n, dims), atol=1e-6, rtol=0)
    # the video encoders (MMAction2 VisionTransformer) carry the same table
    from mmaction.models.backbones.vit_mae import get_sinusoid_encoding
    torch.testing.assert_close(table, get_sinusoid_encoding(n, dims), atol=1e-6, rtol=0)


def test_interleaved_layout_channel_by_channel():
    table = sincos_1d(torch.arange(5), 6, interleaved=True)
    pos, pair = 3, 1  # channels 2 and 3: sin and cos at frequency 10000^(-2/6)
    angle = pos / 10000 ** (2 * pair / 6)
    assert table[pos, 2] == pytest.approx(np.sin(angle), abs=1e-7)
    assert table[pos, 3] == pytest.approx(np.cos(angle), abs=1e-7)
    odd = sincos_1d(torch.arange(4), 5, interleaved=True)  # last channel: a sine
    torch.testing.assert_close(odd, videomae_table(4, 5)[0], atol=1e-6, rtol=0)


@pytest.mark.parametrize('grid, dims', [((8, 8), 64), ((14, 14), 768), ((4, 6), 32)])
def test_image_table_is_mae_2d(grid, dims):
    table = sincos_table(grid, dims, num_prefix=1)
    assert table.shape == (1, 1 + grid[0] * grid[1], dims)
    assert not table[0, 0].any()  # CLS: zero position
    torch.testing.assert_close(table[:, 1:], mae_2d_table(*grid, dims), atol=1e-6, rtol=0)


def test_bad_grid():
    with pytest.raises(ValueError, match='grid'):
        sincos_table((4, ), 8)
