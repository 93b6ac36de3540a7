import math

import torch

from amd_mm.evaluation import extract_features, linear_probe


def test_separable_features_are_solved():
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 10, (2000, ), generator=g)
    x = 4 * F_one_hot(y) + 0.3 * torch.randn(2000, 10, generator=g)
    assert linear_probe(x[:1500], y[:1500], x[1500:], y[1500:]) == 1.0


def F_one_hot(y):
    return torch.nn.functional.one_hot(y, 10).float()


def test_noise_features_are_at_chance():
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(3000, 16, generator=g), torch.randint(0, 10, (3000, ), generator=g)
    assert linear_probe(x[:2000], y[:2000], x[2000:], y[2000:]) < 0.16


def test_matches_the_bayes_accuracy_of_two_gaussians():
    # x ~ N(+-mu, 1) per class: the best linear rule has accuracy Phi(mu)
    g = torch.Generator().manual_seed(2)
    mu, n = 0.8, 40000
    y = torch.randint(0, 2, (n, ), generator=g)
    x = (2 * y.float() - 1)[:, None] * mu + torch.randn(n, 1, generator=g)
    expected = 0.5 * (1 + math.erf(mu / math.sqrt(2)))
    got = linear_probe(x[:20000], y[:20000], x[20000:], y[20000:])
    assert abs(got - expected) < 0.01, (got, expected)


def test_extract_features_uses_the_first_output_and_normalises():
    class Probe(torch.nn.Module):
        def forward(self, x):
            return (x.mean(dim=(2, 3)), )

    images = torch.full((5, 1, 4, 4), 100, dtype=torch.uint8)
    feats = extract_features(Probe(), images, mean=[50.], std=[25.], batch_size=2)
    assert feats.shape == (5, 1) and torch.allclose(feats, torch.full((5, 1), 2.0))


def test_select_weight_decay_takes_the_best_val_score_and_breaks_ties_to_the_stronger():
    from amd_mm.evaluation import select_weight_decay
    g = torch.Generator().manual_seed(3)
    y = torch.randint(0, 2, (2060, ), generator=g)
    x = torch.randn(2060, 200, generator=g)
    x[:, :5] += 1.5 * (2 * y.float() - 1)[:, None]
    grid = (1e-6, 1e-1, 1.0)
    scores = [linear_probe(x[:60], y[:60], x[60:], y[60:], wd) for wd in grid]
    wd, acc = select_weight_decay(x[:60], y[:60], x[60:], y[60:], grid=grid)
    assert acc == max(scores)
    assert wd == max(w for w, s in zip(grid, scores) if s == acc)
    assert scores[0] < acc  # the weakest penalty is not the pick here
