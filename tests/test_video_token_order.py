"""Every part of the video AMD model orders tokens in time the same way: the
mask transform's flat index k <-> (t, h, w), patchify (pixel targets), the
student's and teacher's tubelet embedding, their position tables, the
generator's and decoder's tables and the visible/diff gathers. Checked by
moving frames between time slots on the Moving Fashion-MNIST config (random
weights, no teacher file)."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from amd_mm.models.heads.distill_head import patchify, pixel_targets
from amd_mm.models.utils import TokenSplit, sincos_table
from conftest import config_path

CONFIG = 'amd/amd_vit-nano-p16_moving-fashion-mnist.py'


@pytest.fixture(scope='module')
def parts():
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    from amd_mm.benchmark import build_masking
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config_path(CONFIG))
    cfg.merge_from_dict({'model.teacher.checkpoint': None})
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval(), build_masking(cfg)


def layout(masking):
    """(T, H, W) of the mask transform and its flat index -> (t, h, w)."""
    grid = masking.input_size
    return grid, np.stack(np.unravel_index(np.arange(int(np.prod(grid))), grid), 1)


def slot_permuted(clip, order, tubelet=2):
    """The clip with its time slots (tubelets of frames) put in ``order``."""
    B, C, T, H, W = clip.shape
    slots = clip.reshape(B, C, T // tubelet, tubelet, H, W)
    return slots[:, :, order].reshape(B, C, T, H, W)


def token_permutation(masking, order):
    """Flat index of each token after the slots are put in ``order``: new
    token k sits at (t, h, w) and holds old token (order[t], h, w)."""
    grid, coords = layout(masking)
    old = np.ravel_multi_index((np.asarray(order)[coords[:, 0]], coords[:, 1], coords[:, 2]),
                               grid)
    return torch.as_tensor(old)


def clip(seed=0, batch=2):
    return torch.randn(batch, 3, 8, 64, 64, generator=torch.Generator().manual_seed(seed))


def test_mask_layout_is_t_major_as_patchify(parts):
    model, masking = parts
    grid, coords = layout(masking)
    assert tuple(grid) == tuple(model.geometry.grid) == (4, 4, 4)
    student_mask, diff_mask, _ = masking.sample(np.random.default_rng(0))
    # tube masks: the per-slot pattern repeats every H*W entries, i.e. t is slowest
    assert (student_mask.reshape(4, 16) == student_mask[:16]).all()
    assert (diff_mask.reshape(4, 16) == diff_mask[:16]).all()
    # patchify puts token (t, h, w) at the mask transform's index k
    values = torch.zeros(1, 3, 8, 64, 64)
    for t in range(4):
        for h in range(4):
            for w in range(4):
                values[:, :, 2 * t:2 * t + 2, 16 * h:16 * h + 16, 16 * w:16 * w + 16] = (
                    100 * t + 10 * h + w)
    tokens = patchify(values, 16, 2)[0, :, 0, 0]
    assert tokens.tolist() == [100 * t + 10 * h + w for t, h, w in coords]


def test_reversing_slots_reverses_the_pixel_targets(parts):
    model, masking = parts
    head, x = model.head, clip()
    assert (head.patch_size, head.tubelet_size) == (16, 2)
    order = [3, 2, 1, 0]
    perm = token_permutation(masking, order)
    # a mask that is not a tube: the reversed mask is another mask
    student_mask = torch.zeros(2, 64, dtype=torch.bool)
    student_mask[:, torch.randperm(64, generator=torch.Generator().manual_seed(1))[:48]] = True
    split, split_rev = (TokenSplit.from_masks(m, torch.zeros_like(m))
                        for m in (student_mask, student_mask[:, perm]))
    target = pixel_targets(x, 16, 2, head.norm_pix, split.student_masked, model.input_norm)
    target_rev = pixel_targets(slot_permuted(x, order), 16, 2, head.norm_pix,
                               split_rev.student_masked, model.input_norm)
    # reversed token j holds old token perm[j]; the masked lists are sorted
    full = torch.zeros(2, 64, target.shape[-1])
    full.scatter_(1, split.student_masked[..., None].expand_as(target), target)
    torch.testing.assert_close(target_rev, torch.gather(
        full[:, perm], 1, split_rev.student_masked[..., None].expand_as(target_rev)),
        rtol=0, atol=0)


@pytest.mark.parametrize('who', ['student', 'teacher'])
def test_tubelet_embedding_is_equivariant_under_slot_permutation(parts, who):
    model, masking = parts
    backbone = model.backbone if who == 'student' else model.teacher.backbone
    x, order = clip(2), [2, 0, 3, 1]
    with torch.no_grad():
        tokens = backbone.patch_embed(x)[0]
        moved = backbone.patch_embed(slot_permuted(x, order))[0]
    torch.testing.assert_close(moved, tokens[:, token_permutation(masking, order)])


def test_position_tables_follow_the_mask_layout(parts):
    """The VideoMAE table is a 1-D sinusoid over k = t*H*W + h*W + w: every
    (t, h, w) gets its own row, and every module carries the same table at
    its width (the generators the teacher's, the pixel decoder its own)."""
    model, masking = parts
    grid, coords = layout(masking)
    student, teacher = model.backbone.pos_embed, model.teacher.backbone.pos_embed
    for table in (student, teacher):
        rows = table[0]
        assert rows.shape[0] == 64 and torch.cdist(rows, rows).add(
            torch.eye(64)).amin() > 1e-3  # all rows distinct
        flat = np.ravel_multi_index(coords.T, grid)
        torch.testing.assert_close(rows, sincos_table(grid, rows.shape[1])[0][flat])
        # same (h, w), next slot: H*W rows further, as the mask's flattening
        same_hw = [k for k, (t, h, w) in enumerate(coords) if (h, w) == (1, 2)]
        assert same_hw == [6 + 16 * t for t in range(4)]
    for generator in model.neck.generators:
        torch.testing.assert_close(generator.decoder_pos_embed, teacher)
    decoder = model.neck.decoder.decoder_pos_embed  # 64-d, the student's width here
    torch.testing.assert_close(decoder, sincos_table(grid, decoder.shape[-1]))
    torch.testing.assert_close(decoder, student)


def slot_masks(visible_slot, diff_slot, batch=2):
    """Student-visible tokens all in one slot, diff tokens all in another
    (4 each, as the config's 75% / 50% masks)."""
    student_mask = torch.ones(batch, 64, dtype=torch.bool)
    diff_mask = torch.zeros(batch, 64, dtype=torch.bool)
    student_mask[:, 16 * visible_slot + torch.tensor([0, 5, 10, 15])] = False
    diff_mask[:, 16 * diff_slot + torch.tensor([1, 6, 11, 12])] = True
    return TokenSplit.from_masks(student_mask, diff_mask)


def test_gathered_tokens_come_from_their_slots_frames(parts):
    """With the student's tokens in slot 1 and the diff tokens in slot 2,
    changing frames 0-1 and 6-7 (slots 0 and 3) changes nothing the student,
    the teacher, the neck or the pixel targets see; changing slot 1 changes
    the student's output, slot 2 the teacher's diff features."""
    model, _ = parts
    tokens = slot_masks(1, 2)
    x = clip(3)

    def outputs(inputs):
        with torch.no_grad():
            student = model.backbone(inputs, tokens.student_visible)
            teacher = model.teacher(inputs, tokens)
            neck = model.neck(student, tokens)
        targets = patchify(inputs, 16, 2)
        return dict(student=student.latent,
                    teacher_visible=torch.cat([t.visible for t in teacher], -1),
                    teacher_diff=torch.cat([t.diff for t in teacher], -1),
                    gen=torch.cat([g.tokens for g in neck.gen], -1), pixel=neck.pixel,
                    visible_pixels=targets.gather(1, tokens.student_visible[
                        ..., None, None].expand(-1, -1, *targets.shape[2:])),
                    diff_pixels=targets.gather(1, tokens.diff[
                        ..., None, None].expand(-1, -1, *targets.shape[2:])))

    base = outputs(x)
    for key, value in base.items():
        assert torch.isfinite(value).all(), key
    other = x.clone()
    other[:, :, [0, 1, 6, 7]] = torch.randn(2, 3, 4, 64, 64)
    for key, value in outputs(other).items():
        torch.testing.assert_close(value, base[key], msg=key)

    def changed(frames):
        y = x.clone()
        y[:, :, frames] += 1.5
        return {k: not torch.allclose(v, base[k]) for k, v in outputs(y).items()}

    assert changed([2, 3]) == dict(student=True, teacher_visible=True, teacher_diff=True,
                                   gen=True, pixel=True, visible_pixels=True,
                                   diff_pixels=False)
    # slot 2 only reaches the student through nothing: the teacher sees it
    assert changed([4, 5]) == dict(student=False, teacher_visible=True, teacher_diff=True,
                                   gen=False, pixel=False, visible_pixels=False,
                                   diff_pixels=True)
