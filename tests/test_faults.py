"""Faults (issue 15, item 6): a training run killed with SIGKILL while it
writes a checkpoint resumes with ``--resume auto`` from the last complete
checkpoint and reproduces the uninterrupted run's losses exactly.

The kill is deterministic: tools/train.py runs under a ``-c`` launcher that
wraps ``open`` so that the N-th ``.pth`` file opened for writing gets half of
its bytes, is flushed to disk, and the process SIGKILLs itself."""
import glob
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys

import pytest

from conftest import ROOT

CONFIG = osp.join(ROOT, 'configs', 'mae', 'mae_vit-nano-p4_fashion-mnist.py')
TRAIN = osp.join(ROOT, 'tools', 'train.py')
MAX_ITERS, INTERVAL, KILL_AT = 6, 2, 2  # killed while writing iter_4.pth

# python -c LAUNCHER TRAIN ARGS...: tools/train.py with a checkpoint write that
# dies half-way through the KILL_AT-th .pth file (any write path: the wrapper is
# on the file object, whatever opens it: MMEngine's LocalBackend.put or other)
LAUNCHER = r'''
import builtins, os, runpy, signal, sys
KILL_AT = int(os.environ['AMD_MM_TEST_KILL_AT'])
_open, _count = builtins.open, [0]

class _DiesHalfWay:
    def __init__(self, f):
        self._f = f
    def write(self, data):
        self._f.write(bytes(data)[:len(data) // 2])
        self._f.flush()
        os.fsync(self._f.fileno())
        print('killing myself while writing', self._f.name, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self._f.close()
    def __getattr__(self, name):
        return getattr(self._f, name)

def open(file, mode='r', *args, **kwargs):
    f = _open(file, mode, *args, **kwargs)
    if (isinstance(file, (str, os.PathLike)) and 'w' in mode and 'b' in mode
            and '.pth' in os.path.basename(os.fspath(file))):
        _count[0] += 1
        if _count[0] == KILL_AT:
            return _DiesHalfWay(f)
    return f

builtins.open = open
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
'''


def train(work_dir, fashion_root, *flags, kill_at=None, options=()):
    options = [*options, f'train_dataloader.dataset.data_root={fashion_root}',
               'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
               'train_dataloader.batch_size=8', 'train_dataloader.dataset.num_samples=256',
               'default_hooks.logger.interval=1', 'randomness.seed=0',
               'randomness.deterministic=True', f'train_cfg.max_iters={MAX_ITERS}',
               'param_scheduler.warmup=2', f'default_hooks.checkpoint.interval={INTERVAL}']
    cmd = [TRAIN, CONFIG, '--work-dir', str(work_dir), *flags, '--cfg-options', *options]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    if kill_at is None:
        cmd = [sys.executable, *cmd]
    else:
        cmd = [sys.executable, '-c', LAUNCHER, *cmd]
        env['AMD_MM_TEST_KILL_AT'] = str(kill_at)
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)


def logged_losses(run_dir):
    """{iteration: loss} from one run's vis_data/scalars.json."""
    losses = {}
    with open(osp.join(run_dir, 'vis_data', 'scalars.json')) as f:
        for line in f:
            record = json.loads(line)
            if 'loss' in record:
                losses[record['step']] = record['loss']
    return losses


def run_dirs(work_dir):
    return sorted(osp.dirname(osp.dirname(p))
                  for p in glob.glob(osp.join(str(work_dir), '*', 'vis_data', 'scalars.json')))


@pytest.fixture(scope='module')
def straight_losses(tmp_path_factory, fashion_root):
    """{iteration: loss} of the uninterrupted run."""
    work = tmp_path_factory.mktemp('straight')
    out = train(work, fashion_root)
    assert out.returncode == 0, out.stderr[-3000:]
    losses = logged_losses(run_dirs(work)[0])
    assert sorted(losses) == list(range(1, MAX_ITERS + 1))
    return losses


# max_keep_ckpts=1: MMEngine deletes iter_2.pth before it writes iter_4.pth;
# amd_mm.compat.mmengine_keep_checkpoint_until_saved defers that deletion
@pytest.mark.parametrize('keep', [2, 1])
def test_sigkill_while_writing_a_checkpoint_resumes_exactly(tmp_path, fashion_root,
                                                            straight_losses, keep):
    expected, options = straight_losses, [f'default_hooks.checkpoint.max_keep_ckpts={keep}']
    work = tmp_path / 'killed'
    killed = train(work, fashion_root, kill_at=KILL_AT, options=options)
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-2000:] + killed.stderr[-3000:]
    torn = work / f'iter_{KILL_AT * INTERVAL}.pth'
    assert f'killing myself while writing {torn}' in killed.stdout
    assert 0 < osp.getsize(torn) < osp.getsize(work / f'iter_{(KILL_AT - 1) * INTERVAL}.pth')
    [first] = run_dirs(work)
    before = logged_losses(first)
    assert sorted(before) == list(range(1, KILL_AT * INTERVAL + 1))
    assert before == {i: expected[i] for i in before}

    resumed = train(work, fashion_root, '--resume', options=options)
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-3000:]
    out = resumed.stdout + resumed.stderr
    last_complete = (KILL_AT - 1) * INTERVAL
    assert re.search(rf'Auto resumed from the latest checkpoint \S*iter_{last_complete}\.pth',
                     out), out[-3000:]
    second = [d for d in run_dirs(work) if d != first]
    assert len(second) == 1
    after = logged_losses(second[0])
    assert sorted(after) == list(range(last_complete + 1, MAX_ITERS + 1))
    assert after == {i: expected[i] for i in after}  # bit for bit
    assert osp.isfile(work / f'iter_{MAX_ITERS}.pth')
    kept = sorted(glob.glob(str(work / 'iter_*.pth')))
    assert len(kept) == keep, kept


def test_checkpoint_fix_is_idempotent():
    from amd_mm import compat
    assert 'mmengine_keep_checkpoint_until_saved' in compat.APPLIED
    assert compat.mmengine_keep_checkpoint_until_saved() is False


def test_last_checkpoint_is_renamed_into_place(tmp_path):
    """MMEngine's CheckpointHook writes ``last_checkpoint`` through the
    ``open`` of its module: the new name appears in one rename, and a write
    that dies half-way leaves the old one and no temporary file."""
    from mmengine.hooks import checkpoint_hook
    from amd_mm import compat
    assert 'mmengine_atomic_last_checkpoint' in compat.APPLIED
    assert compat.mmengine_atomic_last_checkpoint() is False  # idempotent
    path = tmp_path / 'last_checkpoint'
    path.write_text('iter_2.pth')
    with pytest.raises(RuntimeError):
        with checkpoint_hook.open(str(path), 'w') as f:
            f.write('iter_4')
            assert path.read_text() == 'iter_2.pth'  # not visible before the rename
            raise RuntimeError('killed mid-write')
    assert path.read_text() == 'iter_2.pth' and os.listdir(tmp_path) == ['last_checkpoint']
    with checkpoint_hook.open(str(path), 'w') as f:
        f.write('iter_4.pth')
    assert path.read_text() == 'iter_4.pth' and os.listdir(tmp_path) == ['last_checkpoint']
    other = tmp_path / 'other.txt'
    with checkpoint_hook.open(str(other), 'w') as f:  # any other file: the builtin
        f.write('x')
    assert other.read_text() == 'x'
