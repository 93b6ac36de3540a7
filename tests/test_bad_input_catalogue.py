"""The catalogue of bad inputs (docs/bad_input.md): each plausible mistake in
a config, a checkpoint, the data, the launch options or direct API use gets
a clear error of a known type whose message names the field (or a warning
line, for settings that are legitimate but unusual).

Models are the nano Fashion-MNIST ones, built without a Runner; the whole
module runs in well under a minute on 2 CPU cores."""
import copy
import logging
import os
import os.path as osp
import re
from contextlib import contextmanager

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, HOOKS, MODELS, PARAM_SCHEDULERS, TRANSFORMS

from conftest import ROOT, config_path, load_tool, masked_batch
from amd_mm.converters import CheckpointMismatchError, CheckpointReadError
from amd_mm.engine.hooks import FiniteLossHook, RunSummaryHook
from amd_mm.engine.hooks.run_summary_hook import model_lines
from amd_mm.validation import StartupCheckHook, check_run_config

init_default_scope('mmpretrain')
AMD = Config.fromfile(config_path('amd/amd_vit-nano-p4_fashion-mnist.py'))
AMD.model.data_preprocessor = AMD.data_preprocessor
AMD.model.teacher.checkpoint = None
DMAE = Config.fromfile(config_path('dmae/dmae_vit-nano-p4_fashion-mnist.py'))
DMAE.model.data_preprocessor = DMAE.data_preprocessor
DMAE.model.teacher.checkpoint = None


def amd_cfg(**options):
    cfg = copy.deepcopy(AMD)
    cfg.merge_from_dict(options)
    return cfg


def dmae_cfg(**options):
    cfg = copy.deepcopy(DMAE)
    cfg.merge_from_dict(options)
    return cfg


def build(**options):
    return MODELS.build(amd_cfg(**options).model)


_MODELS = {}


def model_of(name='amd'):
    if name not in _MODELS:
        _MODELS[name] = MODELS.build((AMD if name == 'amd' else DMAE).model)
    return _MODELS[name]


def images(n=2, size=32, channels=1, dtype=torch.uint8):
    return torch.randint(0, 255, (n, channels, size, size)).to(dtype)


def run_loss(model='amd', masking=None, inputs=None, drop_diff=False, preprocess=True):
    model = model_of(model)
    cfg = copy.deepcopy(AMD)
    if masking:
        cfg.merge_from_dict({f'train_dataloader.dataset.masking.{k}': v
                             for k, v in masking.items()})
    batch = masked_batch(cfg, images() if inputs is None else inputs)
    if drop_diff:
        for sample in batch['data_samples']:
            del sample.diff_mask
    if preprocess:
        data = model.data_preprocessor(batch, True)
        return model(**data, mode='loss')
    return model(batch['inputs'], batch['data_samples'], mode='loss')


@contextmanager
def warnings_logged():
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.WARNING:
                lines.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Collect()
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)


def warns(pattern, action):
    def check():
        with warnings_logged() as lines:
            action()
        assert sum(bool(re.search(pattern, line)) for line in lines) == 1, lines
    return check


# --------------------------------------------------------------------------
# files made on the fly

@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('bad')
    out = {}
    out['empty'] = str(root / 'empty.pth')
    open(out['empty'], 'wb').close()
    out['text'] = str(root / 'text.pth')
    with open(out['text'], 'w') as f:
        f.write('these are not weights\n')
    good = str(root / 'student.pth')
    torch.save({'state_dict': model_of('amd').state_dict()}, good)
    out['student'] = good
    out['truncated'] = str(root / 'truncated.pth')
    with open(good, 'rb') as f, open(out['truncated'], 'wb') as g:
        g.write(f.read()[:5000])
    out['list'] = str(root / 'list.pth')
    torch.save([1, 2, 3], out['list'])
    for name, text in (('ann_empty', ''), ('ann_extra', 'a.mp4 1\nb.mp4 1 extra\n'),
                       ('ann_label', 'a.mp4 one\n'),
                       ('ann_missing_videos', 'nope1.mp4 0\nnope2.mp4 1\n')):
        out[name] = str(root / f'{name}.txt')
        with open(out[name], 'w') as f:
            f.write(text)
    return out


def video_dataset(ann_file, pipeline=()):
    return DATASETS.build(dict(type='SkippingVideoDataset', ann_file=ann_file,
                               data_prefix=dict(video=osp.dirname(ann_file)),
                               pipeline=list(pipeline)))


class FakeLoop:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def startup_hook_on(dataset, batch_size):
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, drop_last=True)
    StartupCheckHook().before_train(FakeLoop(train_dataloader=loader))


def bootstrap_before_train(stages, max_iters):
    hook = HOOKS.build(dict(type='TeacherBootstrapHook', stages=stages, by_epoch=False))
    hook.before_train(FakeLoop(model=model_of('amd'), max_iters=max_iters, iter=0))


def logs(pattern, action):
    """A legitimate setting stated by an info line at start-up."""
    def check():
        lines = action()
        assert sum(bool(re.search(pattern, line)) for line in lines) == 1, lines
    return check


def video_vit(**options):
    return MODELS.build(dict(dict(type='MaskedVideoViT', img_size=32, patch_size=16,
                                  num_frames=4, tubelet_size=2, embed_dims=32, depth=1,
                                  num_heads=2), **options))


def nan_loss_at(iteration):
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('bad-input-catalogue')
    for key, value in (('loss', float('nan')), ('loss_pixel', 0.5), ('loss_direct', float('nan'))):
        hub.update_scalar(f'train/{key}', value)
    FiniteLossHook().after_train_iter(
        FakeLoop(iter=iteration - 1, message_hub=hub), 0,
        outputs=dict(loss=None, loss_pixel=None, loss_direct=None))


def warmup_longer_than(max_iters, warmup):
    from mmengine.optim import OptimWrapper
    optim = OptimWrapper(torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3))
    schedule = PARAM_SCHEDULERS.build(dict(type='WarmupCosineLR', warmup=warmup, end=max_iters,
                                           by_epoch=False), default_args=dict(optimizer=optim))
    RunSummaryHook().before_train(FakeLoop(
        param_schedulers=[schedule], max_iters=max_iters, train_loop=FakeLoop(),
        logger=MMLogger.get_current_instance()))


@contextmanager
def environment_without(*names):
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def launch_without_torchrun():
    from mmengine.dist import utils
    with environment_without('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        utils._init_dist_pytorch('nccl')


def image_folder(root, names):
    """A MaskedImageNet folder (one class) of real PNGs and files named
    ``*.png`` that are not images."""
    from PIL import Image
    folder = osp.join(root, 'class_a')
    os.makedirs(folder, exist_ok=True)
    for name in names:
        path = osp.join(folder, name)
        if name.startswith('bad'):
            with open(path, 'w') as f:
                f.write('not an image\n')
        else:
            Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(path)
    return DATASETS.build(dict(type='MaskedImageNet', data_root=str(root), data_prefix='',
                               with_label=False,
                               pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))


def bad_image_skipped(root):
    dataset = image_folder(root, ['bad.png', 'good0.png', 'good1.png'])
    index = [osp.basename(dataset.get_data_info(i)['img_path'])
             for i in range(len(dataset))].index('bad.png')
    assert dataset[index]['inputs'].shape == (3, 8, 8)  # another, good image


def auto_scale_lr_without_base(tmp_path):
    train = load_tool('tools/train.py')
    cfg = Config(dict(model=dict(type='X'), auto_scale_lr=dict(enable=False)))
    train.merge_args(cfg, train.parse_args(['x.py', '--auto-scale-lr']))


def resume_other_config(tmp_path, files):
    train = load_tool('tools/train.py')
    train.main([config_path('mae/mae_vit-nano-p4_fashion-mnist.py'), '--work-dir',
                str(tmp_path), '--resume', files['dmae_ckpt'],
                '--cfg-options', 'train_dataloader.num_workers=0',
                'train_dataloader.persistent_workers=False'])


# --------------------------------------------------------------------------
# (id, kind, action(tmp_path, files), exception or 'warning', pattern)
# kind: early (at build / config time), step (before the first optimizer
# step), stop (the run stops at the iteration it happens), warning (one
# warning line: legitimate but unusual, or a bad sample skipped), logged
# (legitimate, stated by a start-up line), mmengine (MMEngine's own message)

E, S, T, W, L, M = 'early', 'step', 'stop', 'warning', 'logged', 'mmengine'
CASES = [
    # token geometry: the student backbone defines it
    ('neck-grid', E, lambda t, f: build(**{'model.neck.grid': (7, 7)}),
     ValueError, r'neck\.grid=\(7, 7\).*\(8, 8\)'),
    ('neck-student-dims', E, lambda t, f: build(**{'model.neck.student_dims': 32}),
     ValueError, r'neck\.student_dims=32.*64'),
    ('neck-teacher-dims', E, lambda t, f: build(**{'model.neck.teacher_dims': 64}),
     ValueError, r'neck\.teacher_dims=64.*128'),
    ('neck-num-prefix', E, lambda t, f: build(**{'model.neck.num_prefix': 0}),
     ValueError, r'neck\.num_prefix=0'),
    ('head-patch-size', E, lambda t, f: build(**{'model.head.patch_size': 8}),
     ValueError, r'head\.patch_size=8.*backbone\.patch_size=4'),
    ('head-tubelet', E, lambda t, f: build(**{'model.head.tubelet_size': 2}),
     ValueError, r'head\.tubelet_size=2.*tubelet_size=1'),
    ('decoder-out-dims', E, lambda t, f: build(**{'model.neck.decoder.out_dims': 48}),
     ValueError, r'neck\.decoder\.out_dims=48.*16'),
    ('teacher-patch-size', E, lambda t, f: build(**{'model.teacher.backbone.patch_size': 8}),
     ValueError, r'\(4, 4\).*teacher\.backbone\.patch_size=8.*\(8, 8\)'),
    ('masking-grid-7x7', E, lambda t, f: check_run_config(amd_cfg(**{
        'train_dataloader.dataset.masking.input_size': (7, 7)})),
     ValueError, r'masking\.input_size=\(7, 7\).*\(8, 8\).*img_size=32, patch_size=4'),
    ('masking-grid-16x16', E, lambda t, f: check_run_config(amd_cfg(**{
        'train_dataloader.dataset.masking.input_size': (16, 16)})),
     ValueError, r'masking\.input_size=\(16, 16\).*\(8, 8\)'),
    ('batch-grid-7x7', S, lambda t, f: run_loss(masking=dict(input_size=(7, 7))),
     ValueError, r'49 tokens.*\(8, 8\).*masking\.input_size=\(8, 8\)'),
    ('batch-grid-16x16', S, lambda t, f: run_loss(masking=dict(input_size=(16, 16))),
     ValueError, r'256 tokens.*masking\.input_size=\(8, 8\)'),
    ('batch-image-size', S, lambda t, f: run_loss(inputs=images(size=28)),
     ValueError, r'\(2, 1, 28, 28\).*\(32, 32\).*img_size'),
    ('batch-channels', S, lambda t, f: run_loss(inputs=images(channels=3)),
     ValueError, r'1 channel.*img_size'),
    # feature blocks
    ('feature-blocks-int', E, lambda t, f: build(**{'model.backbone.feature_blocks': 4}),
     TypeError, r'backbone\.feature_blocks.*4'),
    ('feature-blocks-str', E, lambda t, f: build(**{'model.backbone.feature_blocks': '2,4'}),
     TypeError, r"backbone\.feature_blocks.*'2,4'"),
    ('feature-blocks-float', E, lambda t, f: build(**{'model.teacher.feature_blocks': (2.5, 6)}),
     TypeError, r'teacher\.feature_blocks.*2\.5'),
    ('feature-blocks-duplicate-student', E,
     lambda t, f: build(**{'model.backbone.feature_blocks': (2, 2)}),
     ValueError, r'backbone\.feature_blocks.*\[2, 2\].*repeats'),
    ('feature-blocks-duplicate-teacher', E,
     lambda t, f: build(**{'model.teacher.feature_blocks': (6, 6)}),
     ValueError, r'teacher\.feature_blocks.*\[6, 6\].*repeats'),
    ('feature-blocks-range', E, lambda t, f: build(**{'model.backbone.feature_blocks': (2, 9)}),
     ValueError, r'backbone\.feature_blocks.*\[0, 4\].*9'),
    ('feature-blocks-count', E, lambda t, f: build(**{'model.teacher.feature_blocks': (6, )}),
     ValueError, r'teacher\.feature_blocks=\[6\]'),
    ('teacher-missing', E, lambda t, f: build(**{'model.teacher': None}),
     ValueError, r'feature_blocks.*teacher'),
    ('teacher-feature-blocks-empty', E, lambda t, f: build(**{
        'model.teacher.feature_blocks': (), 'model.backbone.feature_blocks': (),
        'model.neck.generator': None}),
     ValueError, r'teacher\.feature_blocks'),
    # other model fields
    ('neck-projection', E, lambda t, f: build(**{'model.neck.projection': 'conv'}),
     ValueError, r"neck\.projection.*'conv'"),
    ('neck-generator-input', E, lambda t, f: build(**{'model.neck.generator_input': 'pix'}),
     ValueError, r"neck\.generator_input.*'pix'"),
    ('head-norm-pix', E, lambda t, f: build(**{'model.head.norm_pix': 'pixel'}),
     ValueError, r"head\.norm_pix.*'pixel'"),
    ('backbone-final-norm', E, lambda t, f: build(**{'model.backbone.out_type': 'cls_token'}),
     ValueError, r'final_norm.*out_type'),
    # masks
    ('ratio-string', E, lambda t, f: TRANSFORMS.build(dict(
        type='AsymmetricMasking', input_size=(8, 8), student_mask_ratio='0.75')),
     TypeError, r"student_mask_ratio.*'0\.75'"),
    ('ratio-string-config', E, lambda t, f: check_run_config(amd_cfg(**{
        'train_dataloader.dataset.masking.teacher_mask_ratio': '0.5'})),
     TypeError, r"masking\.teacher_mask_ratio.*'0\.5'"),
    ('ratio-teacher-above-student', E, lambda t, f: TRANSFORMS.build(dict(
        type='AsymmetricMasking', input_size=(8, 8), student_mask_ratio=0.5,
        teacher_mask_ratio=0.75)), ValueError, r'teacher_mask_ratio=0\.75.*0\.5'),
    ('ratio-one', E, lambda t, f: TRANSFORMS.build(dict(
        type='AsymmetricMasking', input_size=(8, 8), student_mask_ratio=1.0)),
     ValueError, r'student_mask_ratio.*\[0, 1\)'),
    ('masking-no-size', E, lambda t, f: TRANSFORMS.build(dict(type='AsymmetricMasking')),
     ValueError, r'input_size'),
    ('masking-bad-size', E, lambda t, f: TRANSFORMS.build(dict(
        type='AsymmetricMasking', input_size=(0, 8))), ValueError, r'input_size'),
    ('pack-without-diff-mask', E, lambda t, f: check_run_config(amd_cfg(**{
        'train_dataloader.dataset.pipeline': AMD.train_dataloader.dataset.pipeline[:-1]
        + [dict(type='PackInputs')]})), ValueError, r"algorithm_keys.*'diff_mask'"),
    ('batch-without-diff-mask', S, lambda t, f: run_loss(drop_diff=True),
     ValueError, r"neck\.generator.*'diff_mask'.*PackInputs"),
    ('amd-equal-ratios-with-generator', E, lambda t, f: check_run_config(amd_cfg(**{
        'train_dataloader.dataset.masking.teacher_mask_ratio': 0.75})),
     ValueError, r'teacher_mask_ratio=0\.75 equals student_mask_ratio=0\.75.*generator'),
    ('batch-equal-ratios-with-generator', S,
     lambda t, f: run_loss(masking=dict(teacher_mask_ratio=0.75)),
     ValueError, r'generator.*teacher_mask_ratio == student_mask_ratio'),
    ('dmae-ratios-differ', E, lambda t, f: check_run_config(dmae_cfg(**{
        'train_dataloader.dataset.masking.teacher_mask_ratio': 0.5})),
     ValueError, r'DMAE.*teacher_mask_ratio=0\.5.*student_mask_ratio=0\.75'),
    ('dmae-batch-with-diff', S, lambda t, f: run_loss('dmae'),
     ValueError, r'DMAE.*diff tokens.*teacher_mask_ratio'),
    ('teacher-sees-unused-diff', W, warns(r'teacher_mask_ratio=0\.5 < .*no generator', lambda:
        check_run_config(amd_cfg(**{'model.neck.generator': None}))), None, None),
    # direct API use
    ('forward-float64', S, lambda t, f: run_loss(inputs=images(dtype=torch.float64),
                                                 preprocess=False),
     TypeError, r'float64.*float32'),
    ('forward-uint8', S, lambda t, f: run_loss(preprocess=False),
     TypeError, r'uint8.*data_preprocessor'),
    ('extract-feat-uint8', S, lambda t, f: model_of('amd').extract_feat(images()),
     TypeError, r'uint8.*data_preprocessor'),
    # checkpoints
    ('teacher-checkpoint-missing', E, lambda t, f: build(**{
        'model.teacher.checkpoint': '/no/teacher.pth'}),
     FileNotFoundError, r"teacher\.checkpoint.*'/no/teacher\.pth'"),
    ('teacher-checkpoint-empty', E, lambda t, f: build(**{'model.teacher.checkpoint': f['empty']}),
     CheckpointReadError, r"model\.teacher\.checkpoint=.*empty\.pth.*empty file"),
    ('teacher-checkpoint-text', E, lambda t, f: build(**{'model.teacher.checkpoint': f['text']}),
     CheckpointReadError, r"model\.teacher\.checkpoint=.*text\.pth.*cannot be read"),
    ('teacher-checkpoint-truncated', E,
     lambda t, f: build(**{'model.teacher.checkpoint': f['truncated']}),
     CheckpointReadError, r"model\.teacher\.checkpoint=.*truncated\.pth.*cannot be read"),
    ('teacher-checkpoint-not-a-dict', E,
     lambda t, f: build(**{'model.teacher.checkpoint': f['list']}),
     CheckpointReadError, r"model\.teacher\.checkpoint=.*list\.pth.*list"),
    ('teacher-checkpoint-wrong-size', E,
     lambda t, f: build(**{'model.teacher.checkpoint': f['student']}),
     CheckpointMismatchError, r"model\.teacher\.checkpoint=.*student\.pth"),
    ('teacher-without-checkpoint', W, warns(r'teacher has no checkpoint.*randomly initialised',
                                            lambda: build()), None, None),
    ('resume-other-config', E, lambda t, f: resume_other_config(t, f),
     CheckpointMismatchError, r"--resume '.*dmae\.pth' was written by another model"),
    ('resume-missing', E, lambda t, f: load_tool('tools/train.py').main([
        config_path('mae/mae_vit-nano-p4_fashion-mnist.py'), '--work-dir', str(t),
        '--resume', '/no/ckpt.pth']), FileNotFoundError, r"--resume='/no/ckpt\.pth' does not"),
    # data
    ('num-samples-zero', E, lambda t, f: DATASETS.build(dict(
        type='IdxImageDataset', data_root=osp.join(ROOT, 'data/fashion-mnist'),
        num_samples=0)), ValueError, r'num_samples.*0'),
    ('data-root-missing', E, lambda t, f: DATASETS.build(dict(
        type='IdxImageDataset', data_root='/no/data')),
     FileNotFoundError, r"data_root='/no/data'"),
    ('split-unknown', E, lambda t, f: DATASETS.build(dict(
        type='IdxImageDataset', data_root=osp.join(ROOT, 'data/fashion-mnist'),
        split='training')), ValueError, r"split.*'training'"),
    ('masking-without-placeholder', E, lambda t, f: DATASETS.build(dict(
        type='IdxImageDataset', data_root=osp.join(ROOT, 'data/fashion-mnist'),
        num_samples=4, masking=AMD.train_dataloader.dataset.masking,
        pipeline=[dict(type='PackInputs')])), ValueError, r"masking.*'masking' step"),
    ('loader-cannot-batch', S, lambda t, f: startup_hook_on(list(range(3)), 8),
     ValueError, r'batch_size=8.*3 samples'),
    ('loader-empty', S, lambda t, f: startup_hook_on([], 8),
     ValueError, r'train_dataloader\.dataset.*0 samples'),
    ('ann-file-missing', E, lambda t, f: video_dataset('/no/list.txt'),
     FileNotFoundError, r"ann_file='/no/list\.txt'"),
    ('ann-file-empty', E, lambda t, f: video_dataset(f['ann_empty']),
     ValueError, r"ann_file=.*ann_empty\.txt.*no video"),
    ('ann-line-extra-column', E, lambda t, f: video_dataset(f['ann_extra']),
     ValueError, r'ann_extra\.txt, line 2.*got 3'),
    ('ann-label-not-int', E, lambda t, f: video_dataset(f['ann_label']),
     ValueError, r"ann_label\.txt, line 1.*'one'"),
    ('all-videos-fail', S, lambda t, f: video_dataset(
        f['ann_missing_videos'], [dict(type='mmaction.DecordInit')])[0],
     RuntimeError, r'every video of SkippingVideoDataset\.ann_file=.*\(2 of 2\)'),
    ('repeated-views-zero', E, lambda t, f: TRANSFORMS.build(dict(
        type='RepeatedViews', num_views=0, transforms=[dict(type='PackInputs')])),
     ValueError, r'num_views'),
    # dBOT stages
    ('dbot-stages-unsorted', E, lambda t, f: HOOKS.build(dict(
        type='TeacherBootstrapHook', stages=[1000, 500])),
     ValueError, r'teacher_bootstrap\.stages.*\[1000, 500\]'),
    ('dbot-stages-string', E, lambda t, f: HOOKS.build(dict(
        type='TeacherBootstrapHook', stages='800')), TypeError, r'teacher_bootstrap\.stages'),
    ('dbot-stages-beyond-run', S, lambda t, f: bootstrap_before_train([3000], 2000),
     ValueError, r'stages=\[3000\].*max_iters=2000'),
    ('dbot-stage-blocks-count', E, lambda t, f: HOOKS.build(dict(
        type='TeacherBootstrapHook', stages=[5], stage_feature_blocks=[(4, )])),
     ValueError, r'stage_feature_blocks'),
    # ranges checked at build
    ('drop-path-rate-above-one', E, lambda t, f: build(**{'model.backbone.drop_path_rate': 1.5}),
     ValueError, r'backbone.*drop_path_rate=1\.5.*\[0, 1\)'),
    ('drop-path-rate-negative', E, lambda t, f: build(**{'model.backbone.drop_path_rate': -0.1}),
     ValueError, r'backbone.*drop_path_rate=-0\.1.*\[0, 1\)'),
    ('decoder-drop-path-rate', E,
     lambda t, f: build(**{'model.neck.decoder.drop_path_rate': 1.0}),
     ValueError, r'neck\.decoder.*drop_path_rate=1\.0'),
    ('student-heads-indivisible', E, lambda t, f: build(**{'model.backbone.arch.num_heads': 3}),
     ValueError, r'backbone.*embed_dims=64 is not divisible by num_heads=3.*num_heads=4'),
    ('teacher-heads-indivisible', E,
     lambda t, f: build(**{'model.teacher.backbone.arch.num_heads': 3}),
     ValueError, r'embed_dims=128 is not divisible by num_heads=3'),
    ('decoder-heads-indivisible', E, lambda t, f: build(**{'model.neck.decoder.num_heads': 3}),
     ValueError, r'neck\.decoder.*embed_dims=64 is not divisible by num_heads=3'),
    ('generator-heads-indivisible', E, lambda t, f: build(**{'model.neck.generator.num_heads': 3}),
     ValueError, r'neck\.generator.*embed_dims=128 is not divisible by num_heads=3'),
    ('generator-depth-zero', E, lambda t, f: build(**{'model.neck.generator.depth': 0}),
     ValueError, r'neck\.generator.*depth=0.*>= 1'),
    ('video-frames-not-multiple-of-tubelet', E, lambda t, f: video_vit(num_frames=7),
     ValueError, r'num_frames=7 is not a multiple of tubelet_size=2.*6 or 8'),
    ('video-heads-indivisible', E, lambda t, f: video_vit(num_heads=3),
     ValueError, r'embed_dims=32 is not divisible by num_heads=3'),
    ('max-iters-zero', E, lambda t, f: check_run_config(amd_cfg(**{'train_cfg.max_iters': 0})),
     ValueError, r'train_cfg\.max_iters=0.*>= 1'),
    ('schedule-end-zero', E, lambda t, f: warmup_longer_than(0, 10),
     ValueError, r'param_scheduler\.end=0.*train_cfg\.max_iters'),
    ('preprocessor-mean-3-on-1-channel', E, lambda t, f: build(**{
        'model.data_preprocessor.mean': [1., 2., 3.], 'model.data_preprocessor.std': [1., 1., 1.]}),
     ValueError, r'data_preprocessor\.mean has 3 values.*1 input channel'),
    # launch options and paths
    ('auto-scale-lr-without-base', E, lambda t, f: auto_scale_lr_without_base(t),
     ValueError, r'--auto-scale-lr needs auto_scale_lr = dict\(base_batch_size=N\)'),
    ('launcher-pytorch-without-torchrun', E, lambda t, f: launch_without_torchrun(),
     RuntimeError, r'RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT unset.*torchrun'),
    ('teacher-checkpoint-folder', E, lambda t, f: build(**{'model.teacher.checkpoint': str(t)}),
     IsADirectoryError, r'teacher\.checkpoint.*is a folder'),
    ('teacher-checkpoint-sha256', E, lambda t, f: build(**{
        'model.teacher.checkpoint': dict(_delete_=True, path=f['student'], sha256='0' * 64)}),
     CheckpointReadError,
     r'checkpoint\.path=.*student\.pth.*SHA-256 [0-9a-f]{64}.*checkpoint\.sha256=0{64}'),
    ('resume-folder', E, lambda t, f: load_tool('tools/train.py').main([
        config_path('mae/mae_vit-nano-p4_fashion-mnist.py'), '--work-dir', str(t),
        '--resume', str(t)]), IsADirectoryError, r'--resume=.* is a folder.*\.pth'),
    # during the run
    ('non-finite-loss', T, lambda t, f: nan_loss_at(3),
     FloatingPointError, r'non-finite loss at iteration 3: loss_direct \(.*loss_pixel=0\.5'),
    ('run-ends-inside-warmup', W, warns(r'ends inside its warm-up.*max_iters=50',
                                         lambda: warmup_longer_than(50, 100)), None, None),
    ('bad-image-skipped', W, lambda t, f: None, None, None),
    ('all-images-fail', S, lambda t, f: image_folder(t, ['bad0.png', 'bad1.png'])[0],
     RuntimeError, r'every image of MaskedImageNet\.data_root=.*\(2 of 2\)'),
    ('teacher-blocks-0-indexed', L, logs(
        r'teacher:.*its blocks \[2, 5\] \(1-indexed, 6 is the last\).*runs 5 of its 6',
        lambda: model_lines(build(**{'model.teacher.feature_blocks': (2, 5)}), AMD)), None, None),
    # covered by MMEngine itself
    ('unknown-type', M, lambda t, f: build(**{'model.neck.type': 'DistillNek'}),
     KeyError, r'DistillNek'),
    ('keyword-typo', M, lambda t, f: build(**{'model.neck.studnet_dims': 64}),
     TypeError, r'studnet_dims'),
    ('unknown-transform', M, lambda t, f: TRANSFORMS.build(dict(type='RandomResizedCorp')),
     KeyError, r'RandomResizedCorp'),
]


@pytest.fixture(scope='module')
def prepared(files, tmp_path_factory):
    dmae = str(tmp_path_factory.mktemp('dmae') / 'dmae.pth')
    torch.save({'meta': {}, 'state_dict': model_of('dmae').state_dict()}, dmae)
    return dict(files, dmae_ckpt=dmae)


def test_catalogue_size():
    kinds = [c[1] for c in CASES]
    assert len(CASES) >= 90 and len({c[0] for c in CASES}) == len(CASES)
    assert {E, S, T, W, L, M} <= set(kinds)


@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_bad_input(case, prepared, tmp_path):
    name, kind, action, error, pattern = case
    if name == 'bad-image-skipped':
        warns(r'skipped image .*bad\.png: .* \(1 skipped so far\)',
              lambda: bad_image_skipped(tmp_path))()
        return
    if kind in (W, L):
        action()
        return
    with pytest.raises(error) as info:
        action(tmp_path, prepared)
    assert re.search(pattern, str(info.value), re.S), str(info.value)


def test_valid_configs_pass_the_checks():
    """The shipped nano configs pass every start-up check as they are."""
    for name in ('amd/amd_vit-nano-p4_fashion-mnist.py',
                 'amd/amd_vit-nano-p4_sym-mask_fashion-mnist.py',
                 'dmae/dmae_vit-nano-p4_fashion-mnist.py',
                 'dbot/dbot_vit-nano-p4_fashion-mnist.py',
                 'mae/mae_vit-nano-p4_fashion-mnist.py',
                 'amd/amd_vit-nano-p16_videos.py'):
        check_run_config(Config.fromfile(config_path(name)))
    assert set(run_loss()) == {'loss_pixel', 'loss_direct', 'loss_gen'}
    assert np.isfinite(float(run_loss('dmae', masking=dict(teacher_mask_ratio=0.75))
                             ['loss_distill']))


def test_docs_list_every_case():
    with open(osp.join(ROOT, 'docs', 'bad_input.md')) as f:
        text = f.read()
    assert [name for name, *_ in CASES if f'`{name}`' not in text] == []
