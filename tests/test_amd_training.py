"""AMD through the stock Runner on real Fashion-MNIST."""
import os.path as osp

import numpy as np
import torch
from mmengine.runner import Runner

from conftest import make_cfg

CONFIG = 'amd/amd_vit-nano-p4_fashion-mnist.py'


def build_runner(tmp_path, fashion_root, teacher_ckpt, iters, **options):
    cfg = make_cfg(CONFIG, tmp_path, data_root=fashion_root, **{
        'model.teacher.checkpoint': teacher_ckpt,
        'train_cfg.max_iters': iters,
        'param_scheduler.warmup': 10,
        'default_hooks.checkpoint.interval': iters,
        **options,
    })
    return Runner.from_cfg(cfg)


def loss_history(runner, key):
    return np.array(runner.message_hub.get_scalar(f'train/{key}').data[0])


def test_teacher_frozen_generator_tokens_trained(tmp_path, fashion_root, tiny_teacher_ckpt):
    runner = build_runner(tmp_path, fashion_root, tiny_teacher_ckpt, 20)
    model = runner.model
    teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    mask_tokens = [g.mask_token for g in model.neck.generators]
    assert len(mask_tokens) == 2
    named = dict(model.named_parameters())
    assert all(any(t is p for p in named.values()) for t in mask_tokens)
    runner.train()
    tokens_before = [t.detach().clone() for t in mask_tokens]  # after init_weights

    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), f'teacher {key} changed'
    optimizer_params = {id(p) for group in runner.optim_wrapper.optimizer.param_groups
                        for p in group['params']}
    assert not any(id(p) in optimizer_params for p in model.teacher.parameters())
    assert all(id(t) in optimizer_params for t in mask_tokens)
    assert not model.teacher.training

    ckpt = torch.load(osp.join(tmp_path, 'iter_20.pth'), map_location='cpu')
    for i, token in enumerate(mask_tokens):
        saved = ckpt['state_dict'][f'neck.generators.{i}.mask_token']
        assert torch.equal(saved, token.detach())
    assert tokens_before[0].abs().sum() > 0

    # mask tokens receive gradient and an optimizer step changes them
    data = next(iter(runner.train_dataloader))
    runner.optim_wrapper.zero_grad()
    processed = model.data_preprocessor(data, True)
    losses = model(**processed, mode='loss')
    sum(losses.values()).backward()
    for token in mask_tokens:
        assert token.grad is not None and token.grad.abs().sum() > 0
    runner.optim_wrapper.step()
    assert not torch.equal(mask_tokens[0].detach(), tokens_before[0])


def test_every_loss_term_goes_down(tmp_path, fashion_root, tiny_teacher_ckpt):
    runner = build_runner(tmp_path, fashion_root, tiny_teacher_ckpt, 100,
                          **{'optim_wrapper.optimizer.lr': 2e-3})
    runner.train()
    for key in ('loss_pixel', 'loss_direct', 'loss_gen'):
        history = loss_history(runner, key)
        assert len(history) == 100
        assert history[-10:].mean() < 0.8 * history[:10].mean(), (key, history[:10], history[-10:])


def test_init_weights_reaches_every_neck_part():
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    from conftest import config_path
    cfg = Config.fromfile(config_path(CONFIG))
    cfg.model.teacher.checkpoint = None
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    model.init_weights()
    for generator in model.neck.generators:
        assert 0.005 < float(generator.mask_token.std()) < 0.05  # trunc-normal(0.02)
    assert float(model.neck.decoder.mask_token.std()) > 0.005
    for projection in model.neck.projections:  # xavier-uniform bound sqrt(6 / (64 + 128))
        assert float(projection.weight.abs().max()) <= (6 / 192) ** 0.5 + 1e-6
