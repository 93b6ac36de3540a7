"""amd_mm/models/heads/distill_head.py: patchify/unpatchify, pixel targets in
both norm_pix modes (against the official formulas), and the loss terms."""
import pytest
import torch
import torch.nn.functional as F

from amd_mm.models.heads import InputNorm, MaskedDistillHead, patchify, pixel_targets, unpatchify
from amd_mm.models.necks import NeckOutput, TokenPrediction
from amd_mm.models.teachers import TeacherFeatures
from amd_mm.models.utils import TokenSplit

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406])  # timm IMAGENET_DEFAULT_MEAN
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225])


def test_patchify_image_values_by_hand():
    x = torch.arange(2 * 3 * 8 * 12, dtype=torch.float32).reshape(2, 3, 8, 12)
    patches = patchify(x, 4)  # (B, N, p*p, C), tokens row-major
    assert patches.shape == (2, 6, 16, 3)
    b, row, col, i, j, c = 1, 1, 2, 3, 1, 2  # token (row 1, col 2), pixel (3, 1)
    assert patches[b, row * 3 + col, i * 4 + j, c] == x[b, c, row * 4 + i, col * 4 + j]


def test_patchify_video_values_by_hand():
    x = torch.randn(2, 3, 4, 8, 8)
    patches = patchify(x, 4, tubelet_size=2)  # (B, T'*H'*W', t*p*p, C)
    assert patches.shape == (2, 2 * 2 * 2, 2 * 16, 3)
    slot, row, col, t, i, j, c = 1, 0, 1, 1, 2, 3, 0
    token = slot * 4 + row * 2 + col
    assert patches[0, token, t * 16 + i * 4 + j, c] == x[0, c, slot * 2 + t, row * 4 + i,
                                                         col * 4 + j]


@pytest.mark.parametrize('shape, grid, t', [((2, 1, 8, 8), (2, 2), 1),
                                            ((2, 3, 4, 8, 12), (2, 2, 3), 2)])
def test_unpatchify_inverts_patchify(shape, grid, t):
    x = torch.randn(shape)
    flat = patchify(x, 4, t).flatten(2)
    torch.testing.assert_close(unpatchify(flat, grid, 4, t, shape[1]), x, rtol=0, atol=0)


def test_norm_pix_patch_is_mae():
    """facebookresearch/mae models_mae.py forward_loss: per patch over all
    values, (var + 1e-6) ** .5, unbiased var, on the normalised image."""
    x = torch.randn(2, 3, 8, 8)
    target = pixel_targets(x, 4, norm_pix='patch')
    ref = F.unfold(x, 4, stride=4).transpose(1, 2)  # (B, N, C*p*p), channel-major
    ref = ref.reshape(2, 4, 3, 16).transpose(2, 3).flatten(2)  # MAE's (p, p, C) order
    mean, var = ref.mean(-1, keepdim=True), ref.var(-1, keepdim=True)
    torch.testing.assert_close(target, (ref - mean) / (var + 1e-6) ** .5)


def test_norm_pix_patch_channel_is_official_videomae():
    """MCG-NJU/AMD engine_for_pretraining_amd.py: un-normalise to [0, 1] with
    ImageNet's mean/std, then per patch and channel (x - mean) / (std + 1e-6),
    unbiased std."""
    torch.manual_seed(0)
    raw = torch.randint(0, 256, (2, 3, 4, 8, 8)).float()
    raw[0, :, :2, :4, :4] = 100.  # a flat patch: the epsilon matters
    mean255, std255 = IMAGENET_MEAN * 255, IMAGENET_STD * 255
    inputs = (raw - mean255[:, None, None, None]) / std255[:, None, None, None]
    target = pixel_targets(inputs, 4, 2, 'patch_channel',
                           input_norm=InputNorm(mean255, std255))
    # official: videos * std + mean (timm constants, [0, 1]), einops rearrange
    unnorm = inputs * IMAGENET_STD[:, None, None, None] + IMAGENET_MEAN[:, None, None, None]
    B, C, T, H, W = unnorm.shape
    squeeze = unnorm.reshape(B, C, T // 2, 2, H // 4, 4, W // 4, 4).permute(
        0, 2, 4, 6, 3, 5, 7, 1).reshape(B, -1, 2 * 4 * 4, C)  # b (t h w) (p0 p1 p2) c
    norm = (squeeze - squeeze.mean(dim=-2, keepdim=True)) / (
        squeeze.var(dim=-2, unbiased=True, keepdim=True).sqrt() + 1e-6)
    torch.testing.assert_close(target, norm.flatten(2), atol=1e-5, rtol=1e-5)
    assert target[0, 0].abs().max() == 0  # the flat patch: zero target, no blow-up


def test_norm_pix_none_and_index():
    x = torch.randn(2, 1, 8, 8)
    index = torch.tensor([[0, 3], [1, 2]])
    target = pixel_targets(x, 4, norm_pix=None, index=index)
    full = patchify(x, 4).flatten(2)
    torch.testing.assert_close(target, torch.stack([full[0, [0, 3]], full[1, [1, 2]]]))
    with pytest.raises(ValueError, match='norm_pix'):
        MaskedDistillHead(patch_size=4, norm_pix='channel')


def test_predicted_pixels_round_trip_patch_channel():
    """Predicting the exact targets gives back the input (both modes)."""
    torch.manual_seed(0)
    norm = InputNorm(IMAGENET_MEAN * 255, IMAGENET_STD * 255)
    inputs = torch.randn(2, 3, 2, 8, 8)
    tokens = TokenSplit.from_masks(torch.tensor([[0, 1, 1, 0]] * 2).bool(),
                                   torch.zeros(2, 4, dtype=torch.bool))
    for mode in ('patch', 'patch_channel'):
        head = MaskedDistillHead(patch_size=4, tubelet_size=2, norm_pix=mode)
        pred = pixel_targets(inputs, 4, 2, mode, tokens.student_masked, norm)
        out = head.predicted_pixels(pred, inputs, tokens, norm)
        torch.testing.assert_close(out, inputs, atol=1e-4, rtol=1e-4)


def test_loss_is_pixel_plus_layer_means():
    """L = L_pix + mean_l L_dir + mean_l L_gen, with the teacher's named parts
    compared to the right predictions (CLS in direct, not in gen)."""
    torch.manual_seed(0)
    head = MaskedDistillHead(patch_size=4)
    inputs = torch.randn(2, 1, 8, 8)
    tokens = TokenSplit.from_masks(torch.tensor([[0, 1, 1, 1], [1, 0, 1, 1]]).bool(),
                                   torch.tensor([[0, 1, 0, 0], [0, 0, 1, 0]]).bool())
    teacher = [TeacherFeatures(torch.randn(2, 1, 5), torch.randn(2, 1, 5), torch.randn(2, 1, 5))
               for _ in range(2)]
    direct = [TokenPrediction(torch.randn(2, 1, 5), torch.randn(2, 1, 5)) for _ in range(2)]
    gen = [TokenPrediction(torch.randn(2, 0, 5), torch.randn(2, 1, 5)) for _ in range(2)]
    pixel = torch.randn(2, 3, 16)
    losses = head.loss(NeckOutput(direct, gen, pixel), teacher, inputs, tokens)
    mse = F.mse_loss
    expected_direct = sum(mse(torch.cat([d.prefix, d.tokens], 1),
                              torch.cat([t.prefix, t.visible], 1))
                          for d, t in zip(direct, teacher)) / 2
    expected_gen = sum(mse(g.tokens, t.diff) for g, t in zip(gen, teacher)) / 2
    expected_pixel = mse(pixel, pixel_targets(inputs, 4, index=tokens.student_masked))
    torch.testing.assert_close(losses['loss_direct'], expected_direct)
    torch.testing.assert_close(losses['loss_gen'], expected_gen)
    torch.testing.assert_close(losses['loss_pixel'], expected_pixel)
    # without align_prefix the CLS is left out of L_dir
    head.align_prefix = False
    losses = head.loss(NeckOutput(direct, gen, pixel), teacher, inputs, tokens)
    torch.testing.assert_close(
        losses['loss_direct'],
        sum(mse(d.tokens, t.visible) for d, t in zip(direct, teacher)) / 2)
    # no diff tokens (symmetric masks): no generation term
    symmetric = TokenSplit.from_masks(tokens.student_masked.new_tensor(
        [[0, 1, 1, 1], [1, 0, 1, 1]]).bool(), torch.zeros(2, 4, dtype=torch.bool))
    empty = [TeacherFeatures(t.prefix, t.visible, t.diff[:, :0]) for t in teacher]
    gen0 = [TokenPrediction(g.prefix, g.tokens[:, :0]) for g in gen]
    assert 'loss_gen' not in head.loss(NeckOutput(direct, gen0, pixel), empty, inputs, symmetric)
