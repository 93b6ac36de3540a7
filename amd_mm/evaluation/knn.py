"""k-nearest-neighbour accuracy on frozen features."""
import torch
import torch.nn.functional as F


@torch.no_grad()
def knn_accuracy(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor,
                 test_y: torch.Tensor, k: int = 20, temperature: float = 0.07,
                 chunk: int = 1000) -> float:
    """Top-1 accuracy of a weighted k-NN classifier on L2-normalised frozen
    features: each test sample takes its ``k`` most cosine-similar training
    samples, each voting for its label with weight ``exp(similarity / T)``.

    ``k=20, T=0.07`` are fixed a priori, as in the k-NN monitor of
    `Wu et al. 2018 <https://arxiv.org/abs/1805.01978>`_ and DINO
    (facebookresearch/dino ``eval_knn.py``), so the probe has nothing to tune.
    """
    train_x = F.normalize(train_x.float(), dim=1)
    test_x = F.normalize(test_x.float(), dim=1)
    num_classes = int(max(train_y.max(), test_y.max())) + 1
    k = min(k, len(train_x))
    correct = 0
    for start in range(0, len(test_x), chunk):
        similarity = test_x[start:start + chunk] @ train_x.T
        top_sim, top_idx = similarity.topk(k, dim=1)
        votes = torch.zeros(len(top_idx), num_classes)
        votes.scatter_add_(1, train_y[top_idx], (top_sim / temperature).exp())
        correct += int((votes.argmax(1) == test_y[start:start + chunk]).sum())
    return correct / len(test_x)
