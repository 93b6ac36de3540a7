"""amd_mm/engine/schedulers/warmup_cosine.py: the same learning rates as
MMEngine's LinearLR + CosineAnnealingLR list it replaces, and a state that
resumes."""
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
def test_equals_linear_then_cosine(by_epoch):
    init_default_scope('mmpretrain')
    convert = dict(convert_to_iter_based=True) if by_epoch else {}
    length = dict(epoch_length=3) if by_epoch else {}
    a = _optimizer()
    ours = PARAM_SCHEDULERS.build(
        dict(type='WarmupCosineLR', warmup=4, end=20, start_factor=1e-3, eta_min=1e-5,
             by_epoch=by_epoch, **convert), default_args=dict(optimizer=a, **length))
    b = _optimizer()
    reference = [PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=b, **length)) for cfg in (
        dict(type='LinearLR', start_factor=1e-3, by_epoch=by_epoch, begin=0, end=4, **convert),
        dict(type='CosineAnnealingLR', T_max=16, by_epoch=by_epoch, begin=4, end=20,
             eta_min=1e-5, **convert))]
    steps = 20 * (3 if by_epoch else 1) + 2
    assert ours.by_epoch is reference[0].by_epoch
    assert _lrs([ours], a, steps) == _lrs(reference, b, steps)


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
    """As the LinearLR + CosineAnnealingLR list did when a short run stopped
    before the cosine's begin."""
    init_default_scope('mmpretrain')
    a, b = _optimizer(), _optimizer()
    ours = PARAM_SCHEDULERS.build(dict(type='WarmupCosineLR', warmup=10, end=4, by_epoch=False),
                                  default_args=dict(optimizer=a))
    linear = PARAM_SCHEDULERS.build(dict(type='LinearLR', start_factor=1e-3, begin=0, end=10,
                                         by_epoch=False), default_args=dict(optimizer=b))
    assert _lrs([ours], a, 4) == _lrs([linear], b, 4)
    with pytest.raises(ValueError, match='warmup'):
        PARAM_SCHEDULERS.build(dict(type='WarmupCosineLR', warmup=-1, end=10),
                               default_args=dict(optimizer=_optimizer()))
