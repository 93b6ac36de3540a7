"""AVA-style detection on Moving Fashion-MNIST, shortened: a few videos, a
few iterations of the project's AVA config through the stock Runner, scored
by MMAction2's AVAMetric, starting from a (tiny) pre-trained student."""
import math
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from amd_mm.datasets.moving_items import make_moving_fashion_mnist
from amd_mm.datasets.moving_items_ava import (KEYFRAMES, ava_finetune, config_path,
                                              data_options, make_moving_fashion_mnist_ava)
from conftest import ROOT, load_tool

PRETRAIN = 'configs/amd/amd_vit-nano-p16_moving-fashion-mnist.py'
TINY = {'train_dataloader.batch_size': 4, 'default_hooks.logger.interval': 1}


@HOOKS.register_module(force=True)
class RecordBackboneAtStart(Hook):
    """Keeps the detector's backbone as it is when training starts (after
    the Runner's weight initialisation, before the first step)."""
    seen = {}

    def before_train(self, runner):
        state = runner.model.backbone.state_dict()
        RecordBackboneAtStart.seen = {k: v.clone() for k, v in state.items()}


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory, fashion_root):
    root = str(tmp_path_factory.mktemp('ava') / 'moving')
    make_moving_fashion_mnist(root, num_train=6, num_val=3, num_test=3, seed=1,
                              fashion_root=fashion_root)
    make_moving_fashion_mnist_ava(root)
    return root


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    """The Moving Fashion-MNIST AMD student, saved as the Runner saves it
    and exported with convert_checkpoint.py for the detector."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    out = tmp_path_factory.mktemp('pre')
    cfg = Config.fromfile(osp.join(ROOT, PRETRAIN))
    cfg.merge_from_dict({'model.teacher.checkpoint': None})
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    with torch.no_grad():  # tensors no initialisation would produce
        for param in model.backbone.parameters():
            param.add_(0.05 * torch.randn_like(param))
    torch.save({'meta': {'cfg': cfg.pretty_text}, 'state_dict': model.state_dict()},
               out / 'pre.pth')
    convert = load_tool('tools/convert_checkpoint.py')
    assert convert.main([str(out / 'pre.pth'), str(out / 'ava.pth'), '--to', 'mmaction2',
                         '--final-norm', 'norm']) == 0
    exported = torch.load(out / 'ava.pth', map_location='cpu')['state_dict']
    return str(out / 'ava.pth'), exported, model.backbone.state_dict()


def test_config_is_the_project_ava_config_resized():
    cfg = Config.fromfile(config_path())
    base = Config.fromfile(osp.join(osp.dirname(config_path()),
                                    'vit-base-p16_16x4x1-20e_ava22.py'))
    assert (cfg.model.type, cfg.model.roi_head.type) == (base.model.type, base.model.roi_head.type)
    backbone = cfg.model.backbone
    assert (backbone.embed_dims, backbone.depth, backbone.num_heads, backbone.img_size,
            backbone.num_frames, backbone.tubelet_size) == (64, 4, 4, 64, 8, 2)
    assert cfg.model.roi_head.bbox_head.in_channels == 64
    assert cfg.model.roi_head.bbox_head.num_classes == 9 == cfg.val_evaluator.num_classes
    assert cfg.train_dataloader.dataset.type == 'AVADataset'
    assert cfg.val_evaluator.type == cfg.test_evaluator.type == 'AVAMetric'
    assert 'test' in cfg.test_evaluator.ann_file and 'val' in cfg.val_evaluator.ann_file
    assert not any(t['type'] == 'Flip' for t in cfg.train_dataloader.dataset.pipeline)
    # every keyframe's clip lies inside the 16 frames (files 1..16), as
    # SampleAVAFrames computes it (start_index added twice)
    for pipeline in (cfg.train_dataloader.dataset.pipeline, cfg.val_dataloader.dataset.pipeline):
        sample = pipeline[0]
        assert sample['type'] == 'SampleAVAFrames'
        for t in KEYFRAMES:
            centre = t + 1
            first = centre - (sample['clip_len'] // 2) * sample['frame_interval'] + 1
            last = first + (sample['clip_len'] - 1) * sample['frame_interval']
            assert 1 <= first and last <= 16, (t, sample)
    assert cfg.optim_wrapper.constructor == base.optim_wrapper.constructor


def test_finetune_starts_from_the_pretrained_student_and_scores_frame_map(
        tiny_data, pretrained, tmp_path):
    path, exported, student = pretrained
    scores = ava_finetune(path, str(tmp_path / 'run'), seed=0, iters=3, data_root=tiny_data,
                          options={**TINY, 'custom_hooks': [dict(type='RecordBackboneAtStart')]})
    seen = RecordBackboneAtStart.seen
    weights = {k[len('backbone.'):]: v for k, v in exported.items()}
    assert set(seen) == set(weights)
    for key, value in weights.items():
        assert torch.equal(seen[key], value), key
    # ... and those are the student's own tensors (its final norm renamed)
    assert torch.equal(seen['patch_embed.projection.weight'],
                       student['patch_embed.projection.weight'])
    assert set(scores) == {'val', 'test'}
    assert all(math.isfinite(v) and 0 <= v <= 100 for v in scores.values()), scores


def test_random_init_differs_from_the_pretrained_student(pretrained):
    """Without a checkpoint the detector's backbone is not the student (so
    the equality above is the loading, not a coincidence of seeds)."""
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    _, exported, _ = pretrained
    cfg = Config.fromfile(config_path())
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmaction'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
    assert not torch.equal(model.backbone.state_dict()['blocks.0.attn.qkv.weight'],
                           exported['backbone.blocks.0.attn.qkv.weight'])


def test_finetune_needs_the_ava_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match='make_moving_fashion_mnist_ava'):
        ava_finetune(None, str(tmp_path / 'w'), data_root=str(tmp_path / 'none'))


@pytest.mark.slow
def test_tools_train_then_test(tiny_data, pretrained, tmp_path):
    """tools/train.py then tools/test.py on the config, as a user runs them."""
    path, _, _ = pretrained
    options = [f'{k}={v}' for k, v in {
        **data_options(tiny_data), 'model.backbone.init_cfg.checkpoint': path,
        'train_cfg.max_iters': 2, 'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 2, 'train_dataloader.batch_size': 4,
        'train_dataloader.num_workers': 0, 'val_dataloader.num_workers': 0,
        'test_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
        'val_dataloader.persistent_workers': False,
        'test_dataloader.persistent_workers': False}.items()]
    env = {'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1', 'PATH': '/usr/bin:/bin'}
    work_dir = str(tmp_path / 'w')
    for script, args in (('tools/train.py', [config_path(), '--work-dir', work_dir]),
                         ('tools/test.py', [config_path(), osp.join(work_dir, 'iter_2.pth'),
                                            '--work-dir', work_dir])):
        done = subprocess.run([sys.executable, osp.join(ROOT, script), *args,
                               '--cfg-options', *options], cwd=str(tmp_path), env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    assert 'mAP/overall' in done.stdout + done.stderr
