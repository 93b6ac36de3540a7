"""The model index against what it describes: every entry's config exists
and has the entry's schedule, shipped weights exist and match their hash,
every recipe config is listed; and ``python -m amd_mm.zoo download``."""
import glob
import json
import os.path as osp
import subprocess
import sys

import pytest

from amd_mm import zoo
from amd_mm.extras import MissingExtraError

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
ENTRIES = zoo.entries()


def epochs_of(cfg):
    """Epochs as the data sees them (mmdet's ViTDet: 25 x RepeatDataset(times=4))."""
    dataset = cfg.train_dataloader.dataset
    repeat = dataset.times if dataset.get('type') == 'RepeatDataset' else 1
    return cfg.train_cfg.max_epochs * repeat


@pytest.mark.parametrize('name', list(ENTRIES))
def test_entry_matches_its_config_and_weights(name):
    entry = ENTRIES[name]
    assert ' ' not in name, 'a name is a command-line ID (mim/amd_mm.zoo --config)'
    assert osp.isfile(osp.join(zoo.MIM_DIR, entry['Config'])), entry['Config']
    try:
        cfg = zoo.config_of(entry)
    except MissingExtraError as error:
        pytest.skip(str(error))
    metadata = entry.get('Metadata') or {}
    if 'Iterations' in metadata:
        assert cfg.train_cfg.max_iters == metadata['Iterations']
    if 'Epochs' in metadata:
        assert epochs_of(cfg) == metadata['Epochs']
    if entry.get('Weights'):
        assert zoo.sha256(zoo.weights_of(entry)) == entry['SHA256']
    else:
        assert 'SHA256' not in entry
        with pytest.raises(zoo.ZooError, match='no shipped weights'):
            zoo.weights_of(entry)


def test_index_lists_every_recipe_and_shipped_checkpoint():
    listed = {entry['Config'] for entry in ENTRIES.values()}
    recipes = {osp.relpath(path, ROOT)
               for path in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
               if '_base_' not in path}
    assert recipes - listed == set()
    weights = {entry['Weights'] for entry in ENTRIES.values() if entry.get('Weights')}
    shipped = {osp.relpath(path, ROOT)
               for pattern in ('*.pth', '*.safetensors')
               for path in glob.glob(osp.join(ROOT, 'checkpoints', pattern))}
    assert shipped == weights
    # the students' table says the same as the index
    with open(osp.join(ROOT, 'checkpoints', 'students.json')) as f:
        students = json.load(f)['students']
    by_weights = {entry['Weights']: entry for entry in ENTRIES.values() if entry.get('Weights')}
    for row in students:
        entry = by_weights[f'checkpoints/{row["file"]}']
        assert entry['SHA256'] == row['sha256'] and entry['Config'] == row['config']
        assert entry['Metadata']['Config Options']['randomness.seed'] == row['seed']


def zoo_cli(*args, cwd):
    return subprocess.run([sys.executable, '-m', 'amd_mm.zoo', *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_download_copies_weights_and_config(tmp_path):
    name = 'amd_vit-nano-p4_1xb64-1k_fashion-mnist_seed1'
    out = zoo_cli('download', '--config', name, '--dest', 'ckpts', cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    copied = tmp_path / 'ckpts' / 'amd_vit-nano-p4_1xb64-1k_fashion-mnist_seed1_fp16.pth'
    assert zoo.sha256(str(copied)) == ENTRIES[name]['SHA256']
    from mmengine.config import Config
    cfg = Config.fromfile(str(tmp_path / 'ckpts' / f'{name}.py'))
    # the options the weights were made with are applied
    assert cfg.train_cfg.max_iters == 1000 and cfg.randomness.seed == 1
    assert cfg.param_scheduler.warmup == 50


def test_download_without_weights_says_one_line(tmp_path):
    out = zoo_cli('download', '--config', 'amd_vit-b_in1k', '--dest', 'ckpts', cwd=tmp_path)
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.startswith('error:')]
    assert lines == ['error: amd_vit-b_in1k: no shipped weights (a training recipe: its config '
                     'is amd_mm::amd/vit-b_in1k.py)'], out.stderr[-2000:]
    assert 'Traceback' not in out.stderr and not (tmp_path / 'ckpts').exists()
    unknown = zoo_cli('download', '--config', 'no-such-model', cwd=tmp_path)
    assert unknown.returncode == 1 and 'Traceback' not in unknown.stderr
    assert 'no-such-model' in unknown.stderr
