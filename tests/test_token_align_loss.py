"""amd_mm/models/losses/token_align_loss.py: every criterion and
normalisation against its formula."""
import pytest
import torch
import torch.nn.functional as F

from amd_mm.models.losses import TokenAlignLoss


def _data():
    torch.manual_seed(0)
    return torch.randn(2, 5, 8) * 3, torch.randn(2, 5, 8) * 2 + 1


def _layer_norm(x):  # LN without affine, unbiased variance, eps inside the root (dBOT)
    return (x - x.mean(-1, keepdim=True)) / (x.var(-1, unbiased=True, keepdim=True) + 1e-6).sqrt()


def _unit(x):
    return x / x.norm(dim=-1, keepdim=True)


@pytest.mark.parametrize('criterion, formula', [
    ('l2', lambda p, t: ((p - t) ** 2).mean()),
    ('l1', lambda p, t: (p - t).abs().mean()),
    ('cosine', lambda p, t: (1 - (_unit(p) * _unit(t)).sum(-1)).mean()),
])
def test_criteria(criterion, formula):
    pred, target = _data()
    torch.testing.assert_close(TokenAlignLoss(criterion)(pred, target), formula(pred, target))


@pytest.mark.parametrize('beta', [1.0, 2.0])
def test_smooth_l1_beta(beta):
    pred, target = _data()
    diff = (pred - target).abs()
    expected = torch.where(diff < beta, 0.5 * diff ** 2 / beta, diff - 0.5 * beta).mean()
    torch.testing.assert_close(TokenAlignLoss('smooth_l1', beta=beta)(pred, target), expected)


@pytest.mark.parametrize('pred_norm', [None, 'l2', 'layer_norm'])
@pytest.mark.parametrize('target_norm', [None, 'l2', 'layer_norm'])
def test_normalisations(pred_norm, target_norm):
    pred, target = _data()
    norms = {None: lambda x: x, 'l2': _unit, 'layer_norm': _layer_norm}
    loss = TokenAlignLoss('l1', pred_norm=pred_norm, target_norm=target_norm)
    expected = (norms[pred_norm](pred) - norms[target_norm](target)).abs().mean()
    torch.testing.assert_close(loss(pred, target), expected)


def test_loss_weight_and_half_precision_inputs():
    pred, target = _data()
    base = TokenAlignLoss('l2')(pred, target)
    torch.testing.assert_close(TokenAlignLoss('l2', loss_weight=0.25)(pred, target), 0.25 * base)
    half = TokenAlignLoss('l2')(pred.bfloat16(), target.bfloat16())
    assert half.dtype == torch.float32  # computed in fp32
    torch.testing.assert_close(half, F.mse_loss(pred.bfloat16().float(),
                                                target.bfloat16().float()))


@pytest.mark.parametrize('kwargs, field', [(dict(criterion='l3'), 'criterion'),
                                           (dict(pred_norm='bn'), 'pred_norm'),
                                           (dict(target_norm='unit'), 'target_norm')])
def test_bad_options_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f'TokenAlignLoss.{field}'):
        TokenAlignLoss(**kwargs)


def test_shape_mismatch():
    with pytest.raises(ValueError, match='differ in shape'):
        TokenAlignLoss()(torch.zeros(1, 2, 3), torch.zeros(1, 3, 3))
