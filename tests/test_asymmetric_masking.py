import numpy as np
import pytest
import torch

from amd_mm.datasets.transforms import AsymmetricMasking, num_masked
from amd_mm.models.utils import TokenSplit


@pytest.mark.parametrize('grid', [(4, 4), (7, 7), (8, 8), (14, 14), (3, 5), (2, 8, 8), (8, 14, 14)])
@pytest.mark.parametrize('ratios', [(0.75, 0.5), (0.9, 0.75), (0.75, 0.0), (0.6, 0.6),
                                    (0.95, 0.95), (0.98, 0.5), (0.0, 0.0), (0.5, 0.25)])
def test_invariants_over_seeds(grid, ratios):
    student_ratio, teacher_ratio = ratios
    slot = grid[-1] * grid[-2]
    if slot - num_masked(student_ratio, slot) < 1:
        pytest.skip('no visible token at this size')
    transform = AsymmetricMasking(grid, student_ratio, teacher_ratio)
    slots = grid[0] if len(grid) == 3 else 1
    n_vis, n_diff, n_hidden = transform.counts
    assert n_vis + n_diff + n_hidden == slots * slot
    assert n_vis == slots * (slot - num_masked(student_ratio, slot))
    assert n_vis + n_diff == slots * (slot - num_masked(teacher_ratio, slot))
    patterns = set()
    for seed in range(30):
        np.random.seed(seed)
        out = transform({})
        student, diff, teacher = out['mask'], out['diff_mask'], out['teacher_mask']
        assert student.dtype == diff.dtype == teacher.dtype == np.bool_
        student_visible, teacher_visible = ~student, ~teacher
        # teacher-visible = student-visible U diff, disjoint
        assert np.array_equal(teacher_visible, student_visible | diff)
        assert not np.any(student_visible & diff)
        assert (student_visible.sum(), diff.sum(), teacher.sum()) == (n_vis, n_diff, n_hidden)
        if slots > 1:  # tube masking: the same pattern in every temporal slot
            per_slot = student.reshape(slots, slot)
            assert (per_slot == per_slot[0]).all()
            assert (diff.reshape(slots, slot) == diff.reshape(slots, slot)[0]).all()
        patterns.add(student.tobytes())
    if 0 < n_vis < slots * slot:
        assert len(patterns) > 1  # random per sample


def test_teacher_ratio_zero_sees_everything():
    out = AsymmetricMasking((14, 14), 0.75, 0.0)({})
    assert not out['teacher_mask'].any()
    assert np.array_equal(out['diff_mask'], out['mask'])


def test_symmetric_has_no_diff():
    out = AsymmetricMasking((14, 14), 0.75, 0.75)({})
    assert not out['diff_mask'].any()
    assert np.array_equal(out['teacher_mask'], out['mask'])


def test_paper_counts():
    # AMD video: 16x224x224, 2x16x16 tubelets -> 8 slots of 14x14
    video = AsymmetricMasking((8, 14, 14), 0.9, 0.75)
    assert video.num_visible == 20 and video.num_teacher_visible - video.num_visible == 29
    assert video.counts[:2] == (160, 232)
    # DMAE: 10 patches at 95%, 4 at 98%, 49 at 75%
    for ratio, visible in ((0.95, 10), (0.98, 4), (0.75, 49)):
        assert AsymmetricMasking((14, 14), ratio, ratio).num_visible == visible


@pytest.mark.parametrize('kwargs, field', [
    (dict(student_mask_ratio=1.0, teacher_mask_ratio=0.5), 'student_mask_ratio'),
    (dict(student_mask_ratio=-0.1, teacher_mask_ratio=0.0), 'student_mask_ratio'),
    (dict(student_mask_ratio=0.75, teacher_mask_ratio=-0.5), 'teacher_mask_ratio'),
    (dict(student_mask_ratio=0.75, teacher_mask_ratio=1.2), 'teacher_mask_ratio'),
    (dict(student_mask_ratio=0.5, teacher_mask_ratio=0.75), 'teacher_mask_ratio'),
    (dict(student_mask_ratio=0.99999999, teacher_mask_ratio=0.5), "no visible"),
])
def test_bad_ratios_name_the_field(kwargs, field):
    size = (4, 4)
    with pytest.raises(ValueError, match=field):
        AsymmetricMasking(size, **kwargs)


def test_masks_reach_the_model_through_pack_inputs():
    from mmpretrain.datasets.transforms import PackInputs
    np.random.seed(0)
    results = AsymmetricMasking((4, 4), 0.75, 0.5)(dict(img=np.zeros((16, 16, 1), np.uint8)))
    packed = PackInputs(algorithm_keys=['diff_mask'])(results)
    sample = packed['data_samples']
    split = TokenSplit.from_data_samples([sample, sample])
    assert split.student_visible.shape == (2, 4) and split.diff.shape == (2, 4)
    assert split.student_masked.shape == (2, 12)
    vis = set(split.student_visible[0].tolist())
    assert vis == set(np.flatnonzero(~results['mask']).tolist())
    assert set(split.diff[0].tolist()) <= set(split.student_masked[0].tolist())


def test_token_split_rejects_ragged_masks():
    student = torch.tensor([[True, False, False], [True, True, False]])
    with pytest.raises(ValueError, match='same number'):
        TokenSplit.from_masks(student, torch.zeros_like(student))


def test_fill_masking_puts_the_field_at_every_placeholder():
    from amd_mm.datasets.transforms import fill_masking
    masking = dict(type='AsymmetricMasking', input_size=(2, 2), student_mask_ratio=0.5,
                   teacher_mask_ratio=0.25)
    pipeline = [dict(type='A'), dict(type='RepeatedViews', num_views=2,
                                     transforms=[dict(type='B'), 'masking']), 'masking']
    filled = fill_masking(pipeline, masking)
    assert filled[1]['transforms'][1] == masking and filled[2] == masking
    assert pipeline[2] == 'masking'  # the config itself is left alone
    with pytest.raises(ValueError, match="no 'masking' step"):
        fill_masking([dict(type='A')], masking)
    with pytest.raises(ValueError, match='no `masking` field'):
        fill_masking(pipeline, None)
    with pytest.raises(ValueError, match='input_size'):
        AsymmetricMasking()


def test_ratio_set_by_key_reaches_the_dataset(fashion_root):
    """One named key changes the masks the training dataset draws."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS

    from amd_mm.datasets.transforms import masking_of
    from conftest import config_path
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config_path('amd/amd_vit-nano-p4_fashion-mnist.py'))
    cfg.merge_from_dict({'train_dataloader.dataset.masking.teacher_mask_ratio': 0.25,
                         'train_dataloader.dataset.data_root': fashion_root,
                         'train_dataloader.dataset.num_samples': 8})
    assert masking_of(cfg)['teacher_mask_ratio'] == 0.25
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    masks = [t for t in dataset.pipeline.transforms if isinstance(t, AsymmetricMasking)]
    assert len(masks) == 1 and masks[0].teacher_mask_ratio == 0.25
    sample = dataset[0]
    # 64 tokens: 16 student-visible, 48 teacher-visible -> 32 diff tokens
    assert int(sample['data_samples'].diff_mask.sum()) == 32
    # DMAE's config sets both ratios by key: symmetric masks, no diff tokens
    dmae = Config.fromfile(config_path('dmae/dmae_vit-nano-p4_fashion-mnist.py'))
    assert masking_of(dmae)['teacher_mask_ratio'] == masking_of(dmae)['student_mask_ratio']
