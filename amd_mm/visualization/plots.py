"""The demos' charts: smoothed loss curves per run, and test accuracy per
encoder with the seed std as error bars."""
import numpy as np


def _pyplot():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def plot_losses(histories, path):
    """One panel per run (``{name: {loss key: values}}``), log scale."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(histories), figsize=(4.5 * len(histories), 3.5), squeeze=False)
    for axis, (name, history) in zip(axes[0], histories.items()):
        for key, values in sorted(history.items()):
            if key == 'loss' and len(history) > 1:
                continue
            window = max(1, len(values) // 50)
            smooth = np.convolve(values, np.ones(window) / window, mode='valid')
            axis.plot(smooth, label=key)
        axis.set_title(name, fontsize=9)
        axis.set_xlabel('iteration')
        axis.set_yscale('log')
        axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_accuracy(summary, path):
    """Linear probe, k-NN and fine-tune bars per model of a summary."""
    plt = _pyplot()
    names = [r['model'].replace(', ', ',\n') for r in summary]
    x = np.arange(len(summary))
    fig, axis = plt.subplots(figsize=(1.5 * len(summary) + 2, 3.8))
    for offset, key in ((-0.27, 'linear_probe'), (0, 'knn'), (0.27, 'finetune')):
        means = [100 * r[f'{key}_mean'] for r in summary]
        stds = [100 * r[f'{key}_std'] for r in summary]
        bars = axis.bar(x + offset, means, 0.27, yerr=stds, capsize=2,
                        label=key.replace('_', ' ').replace('knn', 'k-NN'))
        axis.bar_label(bars, fmt='%.1f', fontsize=6)
    axis.set_xticks(x, names, fontsize=7)
    axis.set_ylabel('top-1 on the test split (%)')
    axis.set_ylim(50, 100)
    axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
