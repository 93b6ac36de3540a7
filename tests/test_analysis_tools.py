"""The OpenMMLab-style tools: tools/test.py's --out/--show-dir, what the
pipeline gives the model (tools/analysis/browse_dataset.py,
amd_mm.visualization.pipeline_picture) and FLOPs per config
(tools/analysis/get_flops.py, amd_mm.benchmark.flops.config_flops)."""
import glob
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

from amd_mm.benchmark.flops import config_flops
from amd_mm.visualization import pipeline_picture

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
AMD_NANO = osp.join(ROOT, 'configs', 'amd', 'amd_vit-nano-p4_fashion-mnist.py')
FINETUNE = osp.join(ROOT, 'configs', 'amd', 'benchmarks', 'mmpretrain',
                    'vit-nano-p4_ft-fashion-mnist.py')
CANVAS = osp.join(ROOT, 'configs', 'amd', 'benchmarks', 'mmdet',
                  'vitdet_mask-rcnn_vit-nano-p4_fashion-canvas.py')


def tool(*args, cwd=ROOT):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_test_py_dumps_and_draws_predictions(tmp_path, fashion_root):
    cfg = Config.fromfile(FINETUNE)
    init_default_scope(cfg.default_scope)
    cfg.model.backbone.init_cfg = None
    checkpoint = tmp_path / 'model.pth'
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, checkpoint)
    out = tool(osp.join(ROOT, 'tools', 'test.py'), FINETUNE, str(checkpoint),
               '--work-dir', str(tmp_path / 'work'), '--out', str(tmp_path / 'preds.pkl'),
               '--show-dir', str(tmp_path / 'shown'), '--launcher', 'none', '--cfg-options',
               f'test_dataloader.dataset.data_root={fashion_root}',
               'test_dataloader.dataset.num_samples=6', 'test_dataloader.batch_size=3',
               'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
               'model.backbone.init_cfg=None')
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    with open(tmp_path / 'preds.pkl', 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 6 and 'pred_score' in predictions[0]
    assert len(glob.glob(str(tmp_path / 'shown' / '*.png'))) == 6


def test_pipeline_picture_shows_both_views(fashion_root):
    cfg = Config.fromfile(AMD_NANO)
    cfg.train_dataloader.dataset.data_root = fashion_root
    picture = pipeline_picture(cfg, num_samples=4, scale=1)
    assert picture.shape == (4 * 32, 3 * 32, 3) and picture.dtype == np.uint8
    image, student, teacher = (picture[:, 32 * i:32 * (i + 1)] for i in range(3))
    grey = (student == 96).all(-1)
    # AsymmetricMasking: the student sees 25% of the 8x8 tokens (4x4 px each)
    assert abs(grey.mean() - 0.75) < 0.05
    tinted = (teacher != student).any(-1)  # the diff tokens: seen by the teacher only
    assert tinted.any() and not (tinted & ~grey).any()
    assert (student[~grey] == image[~grey]).all()


def test_browse_dataset_tool(tmp_path, fashion_root):
    out = tool(osp.join(ROOT, 'tools', 'analysis', 'browse_dataset.py'), AMD_NANO,
               '--num-samples', '3', '--output-dir', str(tmp_path), '--cfg-options',
               f'train_dataloader.dataset.data_root={fashion_root}')
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / 'amd_vit-nano-p4_fashion-mnist_pipeline.png').is_file()
    downstream = tool(osp.join(ROOT, 'tools', 'analysis', 'browse_dataset.py'), CANVAS)
    assert downstream.returncode == 1
    assert downstream.stderr.strip().splitlines()[-1].endswith(
        'not a masked pre-training config: browse it with python -m amd_mm.run '
        f'mmdet:analysis_tools/browse_dataset {CANVAS}')


def test_config_flops_by_part():
    flops, params = config_flops(AMD_NANO)
    assert flops.backward['teacher'] == 0 and flops.forward['teacher'] > 0
    assert flops.forward['student'] > 0 and flops.backward['student'] > 0
    assert flops.total == sum(flops.forward.values()) + sum(flops.backward.values())
    # the config's archs: student 64-d x 4 blocks, teacher 128-d x 6 blocks
    assert 0.2e6 < params['student'] < 0.21e6 and 1.19e6 < params['teacher'] < 1.21e6
    assert params['trainable'] > params['student']  # + neck (projections, generators, decoder)


@pytest.mark.parametrize('config', [AMD_NANO, CANVAS])
def test_get_flops_tool(config):
    out = tool(osp.join(ROOT, 'tools', 'analysis', 'get_flops.py'), config)
    if config == CANVAS:
        assert out.returncode == 1
        assert 'python -m amd_mm.run mmdet:analysis_tools/get_flops' in out.stderr
        return
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'GFLOPs of one training step per sample:' in out.stdout
    assert 'params (M): student 0.205, teacher 1.201 (frozen)' in out.stdout
