"""mmpretrain's own MAE through the stock Runner on real Fashion-MNIST."""
import numpy as np
from mmengine.runner import Runner

from conftest import make_cfg

CONFIG = 'mae/mae_vit-tiny-p4_fashion-mnist.py'


def run(work_dir, data_root, iters, resume=None, max_iters=None, interval=None):
    options = {
        'train_cfg.max_iters': iters,
        'param_scheduler.warmup': 5,
        'param_scheduler.end': max_iters or iters,
        'default_hooks.checkpoint.interval': interval or iters,
    }
    cfg = make_cfg(CONFIG, work_dir, data_root=data_root, **options)
    if resume:
        cfg.resume, cfg.load_from = True, resume
    runner = Runner.from_cfg(cfg)
    runner.train()
    return np.array(runner.message_hub.get_scalar('train/loss').data[0])


def test_loss_goes_down(tmp_path, fashion_root):
    losses = run(tmp_path, fashion_root, 60)
    assert len(losses) == 60
    assert losses[-10:].mean() < 0.8 * losses[:10].mean()


def test_resume_is_exact(tmp_path, fashion_root):
    k = 6
    straight = run(tmp_path / 'straight', fashion_root, 2 * k)
    # k iterations, stop (the schedule is the 2k-iteration one), resume, k more
    run(tmp_path / 'split', fashion_root, k, max_iters=2 * k, interval=k)
    ckpt = tmp_path / 'split' / f'iter_{k}.pth'
    assert ckpt.is_file()
    resumed = run(tmp_path / 'split', fashion_root, 2 * k, resume=str(ckpt))
    assert len(straight) == len(resumed) == 2 * k
    np.testing.assert_array_equal(resumed[k:], straight[k:])
    np.testing.assert_array_equal(resumed[:k], straight[:k])
