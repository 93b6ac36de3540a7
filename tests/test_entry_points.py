"""One start-up path for every entry point: the run-config checks, the
start-up summary, the short-run log interval, the stop on a non-finite loss
and the CPU gloo switch are default hooks of configs/_base_/default_runtime.py
and a launcher fix of amd_mm.compat, so ``Runner.from_cfg``, tools/train.py,
``mim train amd_mm``, ``python -m amd_mm.run PKG:train`` and
``torchrun -m amd_mm.run`` all get them."""
import glob
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from conftest import ROOT, config_path

AMD = config_path('amd/amd_vit-nano-p4_fashion-mnist.py')
MIM = osp.join(osp.dirname(sys.executable), 'mim')
TORCHRUN = osp.join(osp.dirname(sys.executable), 'torchrun')
# a short, quiet run of the nano AMD config
SHORT = ['train_cfg.max_iters=4', 'param_scheduler.warmup=1',
         'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
         'train_dataloader.batch_size=16', 'train_dataloader.dataset.num_samples=256',
         'default_hooks.checkpoint.interval=4']
BAD_MASKS = 'train_dataloader.dataset.masking.input_size=(7,7)'
BAD_MASKS_MESSAGE = r'masking\.input_size=\(7, 7\) does not match .* token grid \(8, 8\)'


def options(fashion_root, *extra):
    return [f'train_dataloader.dataset.data_root={fashion_root}', *SHORT, *extra]


def short_cfg(work_dir, fashion_root, *extra):
    cfg = Config.fromfile(AMD)
    cfg.merge_from_dict({'train_dataloader.dataset.data_root': fashion_root,
                         'train_cfg.max_iters': 4, 'param_scheduler.warmup': 1,
                         'train_dataloader.num_workers': 0, 'train_dataloader.batch_size': 16,
                         'train_dataloader.persistent_workers': False,
                         'train_dataloader.dataset.num_samples': 256,
                         'default_hooks.checkpoint.interval': 2})
    for option in extra:
        cfg.merge_from_dict(option)
    cfg.work_dir = str(work_dir)
    return cfg


def log_of(work_dir):
    return open(sorted(glob.glob(osp.join(str(work_dir), '*', '*.log')))[-1]).read()


def assert_started_as_documented(log, iterations=4):
    """What every entry point logs: the banner, the summary, a progress line
    per iteration of a 4-iteration run, two optimizer lines instead of ~160."""
    assert re.search(r'run: world size 1 \(one process\), device (cpu|cuda)', log)
    assert re.search(r'student: MaskedViT 64-d, 4 blocks, token grid \(8, 8\) = 64 tokens.*'
                     r'sees 16 of 64 tokens', log)
    assert re.search(r'teacher: MaskedViT 128-d, 6 blocks, from mae_vit-tiny.*its blocks '
                     r'\[3, 6\] \(1-indexed, 6 is the last\).*sees 32 of 64 tokens', log)
    assert re.search(r'loss: loss_pixel = 1\.0 x l2 .*loss_direct = .*loss_gen = ', log)
    assert 'schedule: warm-up 1 of 4 iterations, then cosine' in log
    assert re.search(r'logging every 1 iterations', log)
    assert [int(n) for n in re.findall(r'Iter\(train\) \[\s*(\d+)/', log)] == list(
        range(1, iterations + 1))
    assert 'is skipped since its requires_grad' not in log
    assert 'paramwise_options --' not in log
    assert len(re.findall(r'optimizer: \d+ frozen parameter tensors .* teacher\.\* \d+', log)) == 1
    assert len(re.findall(r'optimizer: \d+ trainable parameter tensors', log)) == 1


def test_runner_from_cfg(tmp_path, fashion_root):
    """The stock Runner alone: the summary, the log interval, --auto-scale-lr's
    setting (16 of 64 -> lr x 0.25), an atomic last_checkpoint."""
    cfg = short_cfg(tmp_path, fashion_root, {'auto_scale_lr.enable': True})
    runner = Runner.from_cfg(cfg)
    runner.train()
    log = log_of(tmp_path)
    assert_started_as_documented(log)
    assert 'Scaling the original LR by 0.25' in log
    group = runner.optim_wrapper.optimizer.param_groups[0]
    assert group['initial_lr'] == pytest.approx(1.5e-3 * 16 / 64)
    assert open(tmp_path / 'last_checkpoint').read().endswith('iter_4.pth')
    assert not glob.glob(str(tmp_path / 'last_checkpoint.tmp*'))


def test_runner_from_cfg_checks_the_run_config(tmp_path, fashion_root):
    cfg = short_cfg(tmp_path, fashion_root,
                    {'train_dataloader.dataset.masking.input_size': (7, 7)})
    with pytest.raises(ValueError, match=BAD_MASKS_MESSAGE):
        Runner.from_cfg(cfg).train()


def test_non_finite_loss_stops_before_the_checkpoint(tmp_path, fashion_root):
    """A NaN loss term stops the run at its iteration, naming the term; no
    checkpoint of the NaN weights is written."""
    cfg = short_cfg(tmp_path, fashion_root, {'model.head.direct_loss.loss_weight': float('nan'),
                                             'default_hooks.checkpoint.interval': 1})
    with pytest.raises(FloatingPointError,
                       match=r'non-finite loss at iteration 1: loss_direct \(loss=nan'):
        Runner.from_cfg(cfg).train()
    assert not glob.glob(str(tmp_path / '*.pth'))


def run(cmd, cwd, **env):
    environment = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1', **env)
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600,
                          env=environment)


def entry_point(name, tmp_path):
    """The command line of an entry point (run from the repository root,
    where the config's shipped teacher path is relative to)."""
    if name == 'tools/train.py':
        return [sys.executable, osp.join(ROOT, 'tools', 'train.py'), AMD]
    if name == 'amd_mm.run':
        return [sys.executable, '-m', 'amd_mm.run', 'mmpretrain:train', AMD]
    if name == 'mim':
        if not osp.exists(MIM):
            pytest.skip('openmim is not installed')
        return [MIM, 'train', 'amd_mm', AMD]
    raise KeyError(name)


@pytest.mark.parametrize('name', ['tools/train.py', 'amd_mm.run', 'mim'])
def test_entry_point_checks_the_run_config(name, tmp_path, fashion_root):
    cmd = entry_point(name, tmp_path) + ['--work-dir', str(tmp_path / 'work'), '--cfg-options',
                                         *options(fashion_root, BAD_MASKS)]
    out = run(cmd, ROOT)
    assert out.returncode != 0
    assert re.search(BAD_MASKS_MESSAGE, out.stderr), out.stderr[-3000:]


def test_amd_mm_run_trains_as_tools_train(tmp_path, fashion_root):
    """mmpretrain's own train.py through amd_mm.run: the same start-up."""
    work = tmp_path / 'work'
    out = run(entry_point('amd_mm.run', tmp_path) + ['--work-dir', str(work), '--cfg-options',
                                                     *options(fashion_root)], ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert_started_as_documented(log_of(work))


@pytest.mark.skipif(not osp.exists(TORCHRUN), reason='no torchrun')
def test_torchrun_amd_mm_run_on_cpu(tmp_path, fashion_root):
    """torchrun -m amd_mm.run with the configs' backend='nccl': on a machine
    without GPUs the launcher fix uses gloo; the banner states the world size."""
    import torch
    if torch.cuda.is_available():
        pytest.skip('GPUs present: nccl is right')
    work = tmp_path / 'work'
    cmd = [TORCHRUN, '--nproc_per_node', '2', '--master_port', str(29600 + os.getpid() % 300),
           '-m', 'amd_mm.run', 'mmpretrain:train', AMD, '--launcher', 'pytorch',
           '--work-dir', str(work), '--cfg-options', *options(fashion_root)]
    out = run(cmd, ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    log = log_of(work)
    assert re.search(r'run: world size 2 \(2 processes, launcher pytorch, backend gloo\), '
                     r'device cpu', log), log[:3000]
    assert 'Iter(train) [4/4]' in log


def test_every_pretraining_config_has_a_base_batch_size():
    """--auto-scale-lr (MMEngine's auto_scale_lr) needs the batch the lr is for."""
    names = [osp.relpath(p, osp.join(ROOT, 'configs'))
             for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
             if '_base_' not in p]
    assert len(names) >= 20
    missing = []
    for name in names:
        cfg = Config.fromfile(config_path(name))
        if not cfg.get('auto_scale_lr', {}).get('base_batch_size'):
            missing.append(name)
    assert missing == []


def test_shipped_teacher_is_hash_checked_when_built(tmp_path):
    """The config's teacher_sha256 travels with its path into the model; a
    changed file is refused naming the file and both hashes; another path
    given in its place drops the hash."""
    from mmpretrain.registry import MODELS
    from amd_mm.converters import CheckpointReadError
    cfg = Config.fromfile(AMD)
    assert cfg.model.teacher.checkpoint == dict(path=cfg.teacher_checkpoint,
                                                sha256=cfg.teacher_sha256)
    MODELS.build(cfg.model)  # the shipped file matches
    changed = tmp_path / 'teacher.pth'
    shutil.copy(osp.join(ROOT, cfg.teacher_checkpoint), changed)
    with open(changed, 'ab') as f:
        f.write(b'\0')
    cfg.model.teacher.checkpoint.path = str(changed)
    with pytest.raises(CheckpointReadError, match=(
            rf"teacher\.checkpoint\.path='.*teacher\.pth' has SHA-256 [0-9a-f]{{64}}, but "
            rf"model\.teacher\.checkpoint\.sha256={cfg.teacher_sha256}")):
        MODELS.build(cfg.model)
    cfg.merge_from_dict({'model.teacher.checkpoint': osp.join(ROOT, cfg.teacher_checkpoint)})
    assert MODELS.build(cfg.model).teacher.checkpoint.endswith('fp16.pth')


def test_auto_scale_lr_flag_enables_the_configs_setting():
    """tools/train.py --auto-scale-lr keeps the config's base_batch_size and
    turns MMEngine's scaling on (it used to set `enable` on a dropped copy)."""
    from conftest import load_tool
    train = load_tool('tools/train.py')
    args = train.parse_args([AMD, '--auto-scale-lr'])
    cfg = train.merge_args(Config.fromfile(AMD), args)
    assert cfg.auto_scale_lr == dict(base_batch_size=64, enable=True)
