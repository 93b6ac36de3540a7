"""amd_mm/engine/schedulers/warmup_cosine.py: MAE's warm-up (base lr at
step ``warmup``) then MMEngine's cosine, and a state that resumes."""
import math

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import PARAM_SCHEDULERS


def _optimizer():
    return OptimWrapper(torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=1e-3))


def _lrs(schedulers, optim, steps):
    out = []
    for _ in range(steps):
        out.append(optim.optimizer.param_groups[0]['lr'])
        for s in schedulers:
            s.step()
    return out


@pytest.mark.parametrize('by_epoch', [False, True])
def test_warmup_then_cosine(by_epoch):
    """lr(i) = base * (f + (1 - f) * i / W) for i <= W, then the cosine from
    the base lr at W to eta_min at the end (epochs counted in iterations
    when converted)."""
    init_default_scope('mmpretrain')
    convert = dict(convert_to_iter_based=True) if by_epoch else {}
    length = dict(epoch_length=3) if by_epoch else {}
    a = _optimizer()
    ours = PARAM_SCHEDULERS.build(
        dict(type='WarmupCosineLR', warmup=4, end=20, start_factor=1e-3, eta_min=1e-5,
             by_epoch=by_epoch, **convert), default_args=dict(optimizer=a, **length))
    unit = 3 if by_epoch else 1
    W, end, base, f = 4 * unit, 20 * unit, 1e-3, 1e-3
    expected = [base * (f + (1 - f) * i / W) if i <= W else
                1e-5 + (base - 1e-5) * (1 + math.cos(math.pi * (i - W) / (end - W))) / 2
                for i in range(end)]
    assert ours.by_epoch is False  # converted: stepped per iteration
    assert _lrs([ours], a, end) == pytest.approx(expected, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize('warmup', [1, 2])
def test_short_warmup_reaches_the_base_lr(warmup):
    """warmup=1: step 0 at start_factor x lr, step 1 (the 2nd iteration) at lr."""
    init_default_scope('mmpretrain')
    a = _optimizer()
    ours = PARAM_SCHEDULERS.build(
        dict(type='WarmupCosineLR', warmup=warmup, end=10, start_factor=1e-3, by_epoch=False),
        default_args=dict(optimizer=a))
    lrs = _lrs([ours], a, 4)
    assert lrs[0] == pytest.approx(1e-6)
    assert lrs[warmup] == pytest.approx(1e-3)
    assert lrs[warmup + 1] < 1e-3


def test_state_dict_resumes():
    init_default_scope('mmpretrain')
    cfg = dict(type='WarmupCosineLR', warmup=2, end=10, by_epoch=False)
    a = _optimizer()
    first = PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=a))
    _lrs([first], a, 5)
    b = _optimizer()
    second = PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=b))
    b.optimizer.load_state_dict(a.optimizer.state_dict())  # as a Runner resumes
    second.load_state_dict(first.state_dict())
    assert _lrs([first], a, 5) == _lrs([second], b, 5)


def test_a_run_shorter_than_the_warmup_only_warms_up():
    """A short run stopped before the cosine's begin: the warm-up's line."""
    init_default_scope('mmpretrain')
    a = _optimizer()
    ours = PARAM_SCHEDULERS.build(dict(type='WarmupCosineLR', warmup=10, end=4, by_epoch=False),
                                  default_args=dict(optimizer=a))
    f = 1e-3
    assert _lrs([ours], a, 4) == pytest.approx([1e-3 * (f + (1 - f) * i / 10) for i in range(4)])
    with pytest.raises(ValueError, match='warmup'):
        PARAM_SCHEDULERS.build(dict(type='WarmupCosineLR', warmup=-1, end=10),
                               default_args=dict(optimizer=_optimizer()))
