"""The GPU step's speed changes are exact on CPU: fused AdamW updates like
the multi-tensor one, a compiled ``train_step`` (MMEngine's ``compile`` key)
gives the eager losses and updates, and the benchmark's autocast settings
are what they say."""
import copy

import numpy as np
import pytest
import torch

from amd_mm.benchmark import build_masking, load_config, synthetic_batch

NANO = 'configs/amd/amd_vit-nano-p4_fashion-mnist.py'


def _model_and_wrapper(cfg):
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    return model.train(), build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))


def _train(cfg, steps=3, compile_step=False):
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')
    model, wrapper = _model_and_wrapper(cfg)
    np.random.seed(0)  # the mask transform's draws
    batch = synthetic_batch(model, build_masking(cfg), 4, seed=1)
    torch.manual_seed(1)
    if compile_step:  # as Runner._maybe_compile('train_step')
        model.train_step = torch.compile(model.train_step)
    losses = [{k: float(v) for k, v in model.train_step(batch, wrapper).items()}
              for _ in range(steps)]
    params = {k: p.detach().clone() for k, p in model.named_parameters() if p.requires_grad}
    return losses, params


def test_autocast_settings():
    bf16 = load_config(NANO, amp='bf16', device='cuda')
    assert bf16.optim_wrapper.type == 'AmpOptimWrapper'
    assert bf16.optim_wrapper.dtype == 'bfloat16'
    assert bf16.optim_wrapper.loss_scale == dict(enabled=False)  # no scaler, no sync
    fp16 = load_config(NANO, amp='fp16', device='cuda')
    assert (fp16.optim_wrapper.dtype, fp16.optim_wrapper.loss_scale) == ('float16', 'dynamic')
    # a spec's own keys come after --amp: the before-row of the benchmark
    scaled = load_config(NANO + '::optim_wrapper.loss_scale=dynamic', amp='bf16', device='cuda')
    assert scaled.optim_wrapper.loss_scale == 'dynamic'
    with pytest.raises(ValueError, match="amp='fp8'"):
        load_config(NANO, amp='fp8', device='cuda')


def test_fused_adamw_matches_multi_tensor():
    # one update from the same gradients (later steps amplify rounding: Adam's
    # first steps move each weight by about lr whatever the gradient's size)
    cfg = load_config(NANO)
    losses, params = _train(cfg, steps=1)
    cfg.optim_wrapper.optimizer.fused = True
    fused_losses, fused_params = _train(cfg, steps=1)
    assert fused_losses == losses
    lr = cfg.optim_wrapper.optimizer.lr
    for key, value in params.items():
        torch.testing.assert_close(fused_params[key], value, rtol=0, atol=lr * 1e-4)


@pytest.mark.slow  # inductor compiles on CPU for about a minute
def test_compiled_train_step_matches_eager():
    cfg = load_config(NANO)
    # plain SGD at lr 1: each weight moves by exactly minus its gradient, so
    # the updates compare the gradients (Adam would amplify rounding)
    cfg.optim_wrapper.optimizer = dict(type='SGD', lr=1.0, weight_decay=0.)
    cfg.optim_wrapper.pop('clip_grad', None)
    _, start = _train(cfg, steps=0)
    losses, params = _train(cfg, steps=1)
    compiled_losses, compiled_params = _train(cfg, steps=1, compile_step=True)
    assert compiled_losses[0].keys() == losses[0].keys()
    for key, value in losses[0].items():
        assert compiled_losses[0][key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
    for key, value in params.items():
        torch.testing.assert_close(compiled_params[key] - start[key], value - start[key],
                                   rtol=1e-3, atol=1e-6, msg=key)
