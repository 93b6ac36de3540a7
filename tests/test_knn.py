import torch

from amd_mm.evaluation import knn_accuracy


def test_knn_on_clusters_and_noise():
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(10, 32, generator=g)
    y = torch.randint(0, 10, (1200, ), generator=g)
    x = centres[y] + 0.1 * torch.randn(1200, 32, generator=g)
    assert knn_accuracy(x[:1000], y[:1000], x[1000:], y[1000:], chunk=64) == 1.0
    noise = torch.randn(1200, 32, generator=g)
    assert knn_accuracy(noise[:1000], y[:1000], noise[1000:], y[1000:]) < 0.2


def test_knn_weights_votes_by_similarity():
    # two neighbours of class 0 nearly aligned with the query, three of
    # class 1 far less similar: a weighted vote picks class 0, a plain
    # majority would pick class 1
    train = torch.tensor([[1.0, 0.01], [1.0, -0.01], [0.5, 1.0], [0.5, -1.0], [0.4, 1.0]])
    labels = torch.tensor([0, 0, 1, 1, 1])
    query = torch.tensor([[1.0, 0.0]])
    assert knn_accuracy(train, labels, query, torch.tensor([0]), k=5) == 1.0
    assert knn_accuracy(train, labels, query, torch.tensor([0]), k=5, temperature=100.) == 0.0
