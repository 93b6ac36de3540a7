"""tools/dist_train.sh: two CPU processes (gloo) through torchrun."""
import glob
import os
import os.path as osp
import subprocess

import torch

from conftest import ROOT


def test_dist_train_two_processes(tmp_path, fashion_root):
    work_dir = tmp_path / 'work'
    cmd = ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'),
           osp.join(ROOT, 'configs', 'mae', 'mae_vit-tiny-p4_fashion-mnist.py'), '2',
           '--work-dir', str(work_dir), '--cfg-options',
           f'train_dataloader.dataset.data_root={fashion_root}',
           'train_dataloader.dataset.num_samples=256', 'train_dataloader.batch_size=8',
           'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
           'train_cfg.max_iters=4', 'param_scheduler.warmup=2', 'default_hooks.checkpoint.interval=4',
           'default_hooks.logger.interval=1', 'log_level=DEBUG']
    env = dict(os.environ, PORT=str(29500 + os.getpid() % 1000), OMP_NUM_THREADS='1')
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    # MMEngine writes one log per rank at DEBUG level
    logs = sorted(glob.glob(str(work_dir / '*' / '*rank*.log')))
    assert len(logs) == 2, logs
    for rank, log in enumerate(logs):
        text = open(log).read()
        assert f'rank{rank}' in osp.basename(log)
        assert 'Iter(train) [4/4]' in text, f'rank {rank} did not train 4 iterations'
    assert 'backend: gloo' in open(logs[0]).read() or 'gloo' in out.stdout + out.stderr
    ckpts = sorted(glob.glob(str(work_dir / '*.pth')))
    assert [osp.basename(c) for c in ckpts] == ['iter_4.pth']
    state = torch.load(ckpts[0], map_location='cpu')
    assert state['meta']['iter'] == 4 and 'backbone.pos_embed' in state['state_dict']
