"""MergedGroupsOptimWrapperConstructor: the pre-training configs' optimizer
has a handful of groups instead of one per parameter, and updates every
parameter exactly as MMEngine's default constructor would."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from amd_mm.engine.optimizers.merged_groups import merge_param_groups

CONFIGS = ['configs/amd/amd_vit-nano-p4_fashion-mnist.py',
           'configs/amd/amd_vit-nano-p16_videos.py',
           'configs/dbot/dbot_vit-nano-p4_fashion-mnist.py']


def build(path, constructor=None, foreach=None):
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(path)
    init_default_scope('mmpretrain')
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    if cfg.model.get('teacher'):
        cfg.model.teacher.checkpoint = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    if constructor is not None:
        optim_cfg.constructor = constructor
    if foreach is not None:
        optim_cfg.optimizer.foreach = foreach
    return cfg, model, build_optim_wrapper(model, optim_cfg)


def settings_by_name(model, optimizer):
    """{parameter name: (lr, weight_decay)} over the optimizer's groups."""
    names = {id(p): n for n, p in model.named_parameters()}
    out = {}
    for group in optimizer.param_groups:
        for p in group['params']:
            assert names[id(p)] not in out, f'{names[id(p)]} in two groups'
            out[names[id(p)]] = (group['lr'], group['weight_decay'])
    return out


@pytest.mark.parametrize('path', CONFIGS)
def test_same_settings_in_few_groups(path):
    cfg, model, merged = build(path)
    assert cfg.optim_wrapper.constructor == 'MergedGroupsOptimWrapperConstructor'
    _, model_ref, default = build(path, 'DefaultOptimWrapperConstructor')
    got = settings_by_name(model, merged.optimizer)
    want = settings_by_name(model_ref, default.optimizer)
    assert got == want
    # the frozen teacher stays out; every trainable parameter is in
    assert not any(name.startswith('teacher.') for name in got)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert set(got) == trainable
    assert len(default.optimizer.param_groups) > 50
    distinct = {repr(sorted((k, v) for k, v in g.items() if k != 'params'))
                for g in default.optimizer.param_groups}
    assert len(merged.optimizer.param_groups) == len(distinct) <= 4


@pytest.mark.parametrize('foreach', [False, True])  # True: the multi-tensor path
def test_updates_equal_the_default_constructor(foreach):
    path = CONFIGS[0]
    _, model, merged = build(path, foreach=foreach)
    _, model_ref, default = build(path, 'DefaultOptimWrapperConstructor', foreach)
    for step in range(3):
        gen = torch.Generator().manual_seed(step)
        for (name, p), (_, q) in zip(model.named_parameters(), model_ref.named_parameters()):
            if p.requires_grad:
                p.grad = torch.randn(p.shape, generator=gen)
                q.grad = p.grad.clone()
        merged.step()
        default.step()
    changed = 0
    for (name, p), (_, q) in zip(model.named_parameters(), model_ref.named_parameters()):
        assert torch.equal(p, q), name
        changed += p.requires_grad
    assert changed > 50


def test_merge_keeps_order_and_splits_by_every_setting():
    a, b, c, d = (torch.nn.Parameter(torch.zeros(1)) for _ in range(4))
    groups = [dict(params=[a], lr=1., weight_decay=0.), dict(params=[b], lr=1.),
              dict(params=[c], lr=1., weight_decay=0.), dict(params=[d], lr=2.,
                                                           betas=[0.9, 0.95])]
    merged = merge_param_groups(groups)
    assert [[id(p) for p in g['params']] for g in merged] == \
        [[id(a), id(c)], [id(b)], [id(d)]]
    assert merged[0]['weight_decay'] == 0. and 'weight_decay' not in merged[1]
    assert merged[2]['betas'] == [0.9, 0.95]


def test_tied_parameter_is_refused():
    shared = torch.nn.Parameter(torch.zeros(3))
    with pytest.raises(ValueError, match=r'shape \(3,\) is in two parameter groups'):
        merge_param_groups([dict(params=[shared]), dict(params=[shared], lr=1.)])
