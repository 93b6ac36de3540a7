"""AMD for video: the MMAction2-layout student, VideoMAE teachers, the decord
pipeline on real clips, bad videos, and training (1 and 2 processes)."""
import argparse
import glob
import json
import os
import os.path as osp
import re
import shutil
import subprocess

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS, MODELS

from amd_mm.models import FrozenTeacher, TokenSplit
from amd_mm.models.teachers import TeacherCheckpointError
from conftest import ROOT, config_path, make_cfg

TINY = 'amd/amd_vit-nano-p16_videos.py'
VIT_B_SSV2 = 'amd/vit-b_ssv2.py'
# MMAction2's VideoMAE ViT-B fine-tune config (the downstream target)
MMACTION_VIDEOMAE_B = ('mmaction::recognition/videomae/'
                       'vit-base-p16_videomae-k400-pre_16x4x1_kinetics-400.py')


# ---------------------------------------------------------------- helpers
def to_official_videomae(state):
    """MMAction2 VisionTransformer keys -> an official VideoMAE pre-training
    checkpoint (written independently of amd_mm's converter): ``encoder.``
    prefix, ``patch_embed.proj``, ``mlp.fc1/fc2``, final ``norm``, no saved
    position table, plus decoder keys and the pickled argparse ``args``."""
    model = {}
    for key, value in state.items():
        if key == 'pos_embed':
            continue  # VideoMAE keeps its sinusoid table out of the state dict
        key = key.replace('patch_embed.projection.', 'patch_embed.proj.')
        key = key.replace('mlp.layers.0.0.', 'mlp.fc1.').replace('mlp.layers.1.', 'mlp.fc2.')
        key = re.sub(r'^fc_norm\.', 'norm.', key)
        model['encoder.' + key] = value
    width = state['fc_norm.weight'].shape[0]
    model['encoder_to_decoder.weight'] = torch.zeros(width // 2, width)
    model['mask_token'] = torch.zeros(1, 1, width // 2)
    model['decoder.blocks.0.norm1.weight'] = torch.ones(width // 2)
    model['decoder.head.weight'] = torch.zeros(1536, width // 2)
    return {'model': model, 'epoch': 1599,
            'args': argparse.Namespace(model='pretrain_videomae_large_patch16_224')}


def save_videomae_teacher(path, backbone_cfg, seed=0):
    """A randomly initialised teacher saved in the official VideoMAE format
    (no video teacher can be trained or downloaded here)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    torch.manual_seed(seed)
    backbone = MODELS.build(backbone_cfg)
    backbone.init_weights()
    state = backbone.state_dict()
    torch.save(to_official_videomae(state), path)
    return state


@pytest.fixture(scope='session')
def video_teacher_ckpt(tmp_path_factory):
    cfg = Config.fromfile(config_path(TINY))
    path = str(tmp_path_factory.mktemp('video_teacher') / 'videomae_micro.pth')
    save_videomae_teacher(path, cfg.model.teacher.backbone)
    return path


def tiny_cfg(work_dir, video_root, teacher, **options):
    cfg = make_cfg(TINY, work_dir, **{
        'train_dataloader.dataset.ann_file': osp.join(video_root, 'train_list.txt'),
        'train_dataloader.dataset.data_prefix.video': video_root,
        'model.teacher.checkpoint': teacher,
        **options})
    cfg.train_dataloader.dataset.pop('num_samples', None)  # image-only FAST key
    return cfg


# ------------------------------------------------------------ backbone
def test_student_backbone_loads_into_mmaction_videomae(tmp_path):
    """backbone.* -> MMAction2's VideoMAE ViT-B (config from mmaction2, at 4
    frames of 64x64 to stay fast): no missing/unexpected key, same output."""
    from mmaction.models import VisionTransformer
    from mmengine.runner.checkpoint import _load_checkpoint_with_prefix
    small = dict(num_frames=4, img_size=64)
    student_cfg = Config.fromfile(config_path(VIT_B_SSV2)).model.backbone
    student = MODELS.build(dict(student_cfg, **small))
    student.init_weights()
    path = tmp_path / 'amd_vit-b.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in student.state_dict().items()}},
               path)

    mm_config = tmp_path / 'videomae_finetune.py'
    mm_config.write_text(f"_base_ = '{MMACTION_VIDEOMAE_B}'\n")
    mm_cfg = Config.fromfile(str(mm_config)).model.backbone
    assert mm_cfg.type == 'VisionTransformer'
    mm_cfg.pop('type')
    finetune = VisionTransformer(**dict(mm_cfg, **small))
    result = finetune.load_state_dict(_load_checkpoint_with_prefix('backbone.', str(path)),
                                      strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []

    clip = torch.randn(2, 3, 4, 64, 64)
    student.eval(), finetune.eval()
    with torch.no_grad():
        torch.testing.assert_close(student(clip), finetune(clip), atol=1e-5, rtol=1e-5)


def test_masked_forward_equals_reference_blocks():
    """The masked path = MMAction2's own (hand-written attention) blocks run
    on the gathered tokens; 8 and 16 frames."""
    from mmaction.models import VisionTransformer
    for frames in (8, 16):
        arch = dict(img_size=32, patch_size=16, num_frames=frames, embed_dims=64,
                    depth=3, num_heads=4)
        ours = MODELS.build(dict(type='MaskedVideoViT', feature_blocks=(1, 3), **arch))
        ours.init_weights()
        ref = VisionTransformer(**arch)
        ref.load_state_dict(ours.state_dict())
        ours.eval(), ref.eval()
        clip = torch.randn(2, 3, frames, 32, 32)
        num_tokens = frames // 2 * 4
        visible = torch.stack([torch.randperm(num_tokens)[:3].sort().values for _ in range(2)])
        with torch.no_grad():
            out = ours(clip, visible)
            x = ref.patch_embed(clip)[0] + ref.pos_embed
            x = torch.stack([x[b, visible[b]] for b in range(2)])
            feats = []
            for block in ref.blocks:
                x = block(x)
                feats.append(x)
        torch.testing.assert_close(out.features[0], feats[0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(out.features[1], feats[2], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(out.latent, ref.fc_norm(feats[2]), atol=1e-5, rtol=1e-5)


def test_wrong_clip_size_names_the_fields():
    vit = MODELS.build(dict(type='MaskedVideoViT', img_size=32, patch_size=16,
                            num_frames=8, embed_dims=32, depth=1, num_heads=2))
    with pytest.raises(ValueError, match='num_frames/img_size'):
        vit(torch.randn(1, 3, 16, 32, 32), torch.zeros(1, 2, dtype=torch.long))


# ------------------------------------------------------------ teachers
def test_official_and_mmaction_checkpoints_load(tmp_path):
    cfg = Config.fromfile(config_path(TINY))
    official = tmp_path / 'official.pth'
    reference = save_videomae_teacher(str(official), cfg.model.teacher.backbone, seed=1)
    mmaction_fmt = tmp_path / 'mmaction.pth'  # a Recognizer3D checkpoint
    state = {'backbone.' + k: v for k, v in reference.items()}
    state['cls_head.fc_cls.weight'] = torch.zeros(400, 128)
    torch.save({'meta': {}, 'state_dict': state}, mmaction_fmt)
    module = tmp_path / 'module.pth'  # DeepSpeed-style ``module`` wrapper
    torch.save({'module': to_official_videomae(reference)['model']}, module)
    for path in (official, mmaction_fmt, module):
        teacher = FrozenTeacher(cfg.model.teacher.backbone, feature_blocks=(3, 6),
                                checkpoint=str(path))
        for key, value in teacher.backbone.state_dict().items():
            assert torch.equal(value, reference[key]), (path.name, key)


@pytest.mark.parametrize('damage, expected', [
    ('missing_block', r'missing keys \(\d+\): \[.*blocks\.5\.'),
    ('renamed_key', r"unexpected keys \(1\): \['blocks\.0\.attn\.qkv_renamed\.weight'\]"),
    ('timm_bias', r"unexpected keys \(1\): \['blocks\.0\.attn\.qkv\.bias'\]"),
])
def test_wrong_videomae_checkpoint_lists_the_keys(tmp_path, damage, expected):
    cfg = Config.fromfile(config_path(TINY))
    path = tmp_path / 'teacher.pth'
    save_videomae_teacher(str(path), cfg.model.teacher.backbone)
    ckpt = torch.load(path, weights_only=False)
    model = ckpt['model']
    if damage == 'missing_block':
        ckpt['model'] = {k: v for k, v in model.items() if '.blocks.5.' not in k}
    elif damage == 'renamed_key':
        model['encoder.blocks.0.attn.qkv_renamed.weight'] = model.pop(
            'encoder.blocks.0.attn.qkv.weight')
    else:  # a timm-style fused qkv bias is not VideoMAE's q/v bias
        model['encoder.blocks.0.attn.qkv.bias'] = torch.zeros(3 * 128)
    torch.save(ckpt, path)
    with pytest.raises(TeacherCheckpointError, match=expected):
        FrozenTeacher(cfg.model.teacher.backbone, feature_blocks=(6, ), checkpoint=str(path))


# ------------------------------------------------------------ data
def test_full_size_batch_has_tube_masks(video_root):
    """vit-b_ssv2's pipeline on real clips: (B, 4, 3, 16, 224, 224) inputs (4
    repeated views per video) and 20 student-visible / 29 diff tokens in
    every one of the 8 slots of every view, each view with its own mask."""
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config_path(VIT_B_SSV2))
    dataset = DATASETS.build(dict(
        cfg.train_dataloader.dataset, ann_file=osp.join(video_root, 'train_list.txt'),
        data_prefix=dict(video=video_root)))
    assert len(dataset) == 3  # one entry per video; the views are in the sample
    samples = [dataset[i] for i in (0, 1)]
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    batch = preprocessor(default_collate(samples), True)  # as the config's loader
    assert batch['inputs'].shape == (2, 4, 3, 16, 224, 224)
    split = TokenSplit.from_data_samples(batch['data_samples'], num_views=4)
    assert (split.num_visible, split.num_diff, split.num_tokens) == (160, 232, 1568)
    for sample in batch['data_samples']:
        student = torch.as_tensor(sample.mask).view(4, 8, 196)
        diff = torch.as_tensor(sample.diff_mask).view(4, 8, 196)
        assert ((~student).sum(-1) == 20).all() and (diff.sum(-1) == 29).all()
        assert (student == student[:, :1]).all() and (diff == diff[:, :1]).all()  # tubes
        # each view has its own mask
        assert len({tuple(view[0].tolist()) for view in student}) == 4
    # rows are sample-major, like the flattened (B, V, ...) inputs: row
    # s * 4 + v is view v of sample s
    assert split.student_visible.shape[0] == 8
    for row, (s, v) in enumerate((s, v) for s in range(2) for v in range(4)):
        mask = torch.as_tensor(batch['data_samples'][s].mask[v])
        assert split.student_visible[row].tolist() == \
            torch.nonzero(~mask).flatten().tolist()


def test_repeated_views_decode_once(video_root, monkeypatch):
    """RepeatedViews: one decode per video for all its views, which differ
    only by their own crop and masks (official --num_sample)."""
    from mmaction.datasets.transforms import DecordDecode
    calls = []
    decode = DecordDecode.transform
    monkeypatch.setattr(DecordDecode, 'transform',
                        lambda self, results: calls.append(1) or decode(self, results))
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config_path(TINY))
    dataset = DATASETS.build(dict(
        cfg.train_dataloader.dataset, ann_file=osp.join(video_root, 'train_list.txt'),
        data_prefix=dict(video=video_root)))
    sample = dataset[0]
    assert len(calls) == 1
    assert sample['inputs'].shape == (4, 3, 8, 112, 112)
    masks = torch.as_tensor(sample['data_samples'].mask)
    assert masks.shape == (4, 4 * 49) and len({tuple(m.tolist()) for m in masks}) == 4


def test_repeated_views_bad_config():
    from amd_mm.datasets.transforms import RepeatedViews
    for bad in (0, 2.0, True):
        with pytest.raises(ValueError, match=f'RepeatedViews.num_views.*{bad!r}'):
            RepeatedViews([dict(type='mmaction.FormatShape', input_format='NCTHW')], bad)
    with pytest.raises(ValueError, match='transforms is empty'):
        RepeatedViews([], 4)
    views = RepeatedViews([dict(type='AsymmetricMasking', input_size=(2, 2, 2),
                                student_mask_ratio=0.5, teacher_mask_ratio=0.25)], 2)
    with pytest.raises(TypeError, match='FormatShape'):
        views(dict(imgs=[np.zeros((8, 8, 3), np.uint8)]))


def write_bad_videos(folder):
    """A truncated mp4, a text file named .mp4 and a 3-frame clip."""
    import av
    good = osp.join(ROOT, 'data', 'videos', 'carphone_pristine.mp4')
    data = open(good, 'rb').read()
    with open(osp.join(folder, 'truncated.mp4'), 'wb') as f:
        f.write(data[:len(data) // 3])
    with open(osp.join(folder, 'text.mp4'), 'w') as f:
        f.write('this is not a video\n')
    container = av.open(osp.join(folder, 'three_frames.mp4'), 'w')
    stream = container.add_stream('mpeg4', rate=10)
    stream.width, stream.height, stream.pix_fmt = 128, 128, 'yuv420p'
    for i in range(3):
        frame = av.VideoFrame.from_ndarray(np.full((128, 128, 3), 60 * i, np.uint8),
                                           format='rgb24')
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    shutil.copy(good, osp.join(folder, 'good.mp4'))
    return ['truncated.mp4', 'text.mp4', 'three_frames.mp4', 'missing.mp4']


def test_bad_videos_are_skipped_and_logged(tmp_path, video_root, video_teacher_ckpt):
    folder = tmp_path / 'videos'
    folder.mkdir()
    bad = write_bad_videos(str(folder))
    with open(folder / 'list.txt', 'w') as f:
        f.writelines(f'{name} 0\n' for name in bad + ['good.mp4'])
    cfg = tiny_cfg(tmp_path / 'work', video_root, video_teacher_ckpt, **{
        'train_dataloader.dataset.ann_file': str(folder / 'list.txt'),
        'train_dataloader.dataset.data_prefix.video': str(folder),
        'train_dataloader.batch_size': 5,  # one pass over all 5 entries
        'train_cfg.max_iters': 2, 'param_scheduler.warmup': 1,
        'default_hooks.checkpoint.interval': 2})
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    assert osp.isfile(tmp_path / 'work' / 'iter_2.pth')
    log = open(glob.glob(str(tmp_path / 'work' / '*' / '*.log'))[0]).read()
    counts = [int(n) for n in re.findall(r'skipped video .*? \((\d+) skipped so far\)', log)]
    assert counts == list(range(1, len(counts) + 1))
    for name in bad:
        assert re.search(rf'skipped video {re.escape(str(folder / name))}: \w+', log), name
    assert 'fewer than min_frames=8' in log  # the 3-frame clip's reason
    assert 'skipped video ' + str(folder / 'good.mp4') not in log



def write_cut_after_header(path, frames=24, size=112):
    """A clip whose index (``moov``) comes first and whose frame data stops
    half-way: decord raises DECORDError (not a RuntimeError) reading it."""
    import av
    container = av.open(path + '.full', 'w', format='mp4', options={'movflags': 'faststart'})
    stream = container.add_stream('mpeg4', rate=10)
    stream.width, stream.height, stream.pix_fmt = size, size, 'yuv420p'
    rng = np.random.default_rng(0)
    for _ in range(frames):
        image = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        for packet in stream.encode(av.VideoFrame.from_ndarray(image, format='rgb24')):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    data = open(path + '.full', 'rb').read()
    os.remove(path + '.full')
    assert data[4:8] == b'ftyp' and b'moov' in data[:64]
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])


def test_video_failing_inside_a_repeated_view_is_skipped(tmp_path, video_root,
                                                         video_teacher_ckpt):
    """Faults: a video that fails to decode inside RepeatedViews (here its
    second view, as a per-view decode would) is skipped and logged like the
    other bad videos, and the run goes on; so is a clip truncated after its
    header, which decord reports with DECORDError."""
    DECORDError = pytest.importorskip('decord._ffi.base').DECORDError
    from amd_mm.registry import TRANSFORMS
    from mmcv.transforms import BaseTransform

    views_seen = {}

    class DecodeFailsInSecondView(BaseTransform):
        def transform(self, results):
            name = osp.basename(results['filename'])
            views_seen[name] = views_seen.get(name, 0) + 1
            if name == 'bad.mp4' and views_seen[name] % 2 == 0:
                raise DECORDError('av_read_frame failed (test: view 2 of bad.mp4)')
            return results

    TRANSFORMS.register_module('DecodeFailsInSecondView', module=DecodeFailsInSecondView,
                               force=True)
    folder = tmp_path / 'videos'
    folder.mkdir()
    good = osp.join(video_root, 'carphone_pristine.mp4')
    for name in ('good.mp4', 'bad.mp4'):
        shutil.copy(good, folder / name)
    write_cut_after_header(str(folder / 'cut.mp4'))
    names = ['good.mp4', 'bad.mp4', 'cut.mp4']
    (folder / 'list.txt').write_text(''.join(f'{n} 0\n' for n in names))
    cfg = tiny_cfg(tmp_path / 'work', video_root, video_teacher_ckpt, **{
        'train_dataloader.dataset.ann_file': str(folder / 'list.txt'),
        'train_dataloader.dataset.data_prefix.video': str(folder),
        'train_dataloader.batch_size': len(names),  # the first batch draws every entry
        'train_cfg.max_iters': 2, 'param_scheduler.warmup': 1,
        'default_hooks.checkpoint.interval': 2})
    [views] = [t for t in cfg.train_dataloader.dataset.pipeline
               if isinstance(t, dict) and t.get('type') == 'RepeatedViews']
    views.num_views = 2
    views.transforms = [dict(type='DecodeFailsInSecondView')] + list(views.transforms)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    assert views_seen['bad.mp4'] >= 2 and views_seen['good.mp4'] >= 2
    log = open(glob.glob(str(tmp_path / 'work' / '*' / '*.log'))[0]).read()
    counts = [int(n) for n in re.findall(r'skipped video .*? \((\d+) skipped so far\)', log)]
    assert counts == list(range(1, len(counts) + 1)) and len(counts) >= 2
    assert re.search(rf'skipped video {re.escape(str(folder / "bad.mp4"))}: DECORDError: '
                     r'av_read_frame failed \(test: view 2 of bad.mp4\)', log)
    assert re.search(rf'skipped video {re.escape(str(folder / "cut.mp4"))}: DECORDError', log)
    assert 'skipped video ' + str(folder / 'good.mp4') not in log


# ------------------------------------------------------------ training
RANK_DUMP_HOOK = '''
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class DumpStudentHook(Hook):
    """Each rank saves its own student weights at the end of training."""

    def after_run(self, runner):
        model = getattr(runner.model, 'module', runner.model)
        state = {k: v.detach().clone() for k, v in model.state_dict().items()
                 if not k.startswith('teacher.')}
        torch.save(state, f'{runner.work_dir}/student_rank{get_rank()}.pth')
'''


def test_dist_train_two_processes_on_real_clips(tmp_path, video_root, video_teacher_ckpt):
    """tools/dist_train.sh CONFIG 2 (gloo, CPU): every loss term goes down and
    both ranks end with the same student weights."""
    (tmp_path / 'dump_hook.py').write_text(RANK_DUMP_HOOK)
    config = tmp_path / 'tiny_video_dist.py'
    config.write_text(
        f"_base_ = '{config_path(TINY)}'\n"
        "custom_imports = dict(imports=['amd_mm', 'dump_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='TorchRNGStateHook'), dict(type='DumpStudentHook')]\n")
    iters = 60
    work_dir = tmp_path / 'work'
    cmd = ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), str(config), '2',
           '--work-dir', str(work_dir), '--cfg-options',
           f'train_dataloader.dataset.ann_file={video_root}/train_list.txt',
           f'train_dataloader.dataset.data_prefix.video={video_root}',
           f'model.teacher.checkpoint={video_teacher_ckpt}',
           'train_dataloader.batch_size=1', 'train_dataloader.num_workers=1',
           f'train_cfg.max_iters={iters}', 'optim_wrapper.optimizer.lr=3e-3',
           'param_scheduler.warmup=5', f'default_hooks.checkpoint.interval={iters}',
           'default_hooks.logger.interval=1', 'randomness.seed=0']
    env = dict(os.environ, PORT=str(29500 + (os.getpid() + 7) % 1000), OMP_NUM_THREADS='1',
               PYTHONPATH=str(tmp_path))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]

    scalars = glob.glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))
    records = [json.loads(line) for line in open(scalars[0])]
    for key in ('loss_pixel', 'loss_direct', 'loss_gen'):
        history = np.array([r[key] for r in records if key in r])
        assert len(history) == iters, key
        assert history[-10:].mean() < 0.98 * history[:10].mean(), (
            key, history[:10], history[-10:])

    rank0 = torch.load(work_dir / 'student_rank0.pth')
    rank1 = torch.load(work_dir / 'student_rank1.pth')
    assert rank0.keys() == rank1.keys() and any(k.startswith('backbone.') for k in rank0)
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key


@pytest.mark.slow
def test_vit_b_ssv2_full_size_one_iteration(tmp_path, video_root):
    """The real recipe's model (ViT-B student, ViT-L teacher, 16x224x224) runs
    one training iteration on one clip on CPU. The teacher stays at its own
    initialisation: the official checkpoint is a documented placeholder."""
    ann = tmp_path / 'one.txt'
    ann.write_text('bikes.mp4 0\n')
    cfg = make_cfg(VIT_B_SSV2, tmp_path / 'work', **{
        'train_dataloader.dataset.ann_file': str(ann),
        'train_dataloader.dataset.data_prefix.video': video_root,
        'train_dataloader.dataset.pipeline.4.num_views': 1,  # one clip on CPU
        'train_dataloader.batch_size': 1, 'train_dataloader.pin_memory': False,
        'model.teacher.checkpoint': None,
        'optim_wrapper.type': 'OptimWrapper',  # AMP needs a GPU
        'train_cfg.max_epochs': 1, 'default_hooks.checkpoint.interval': 1})
    cfg.train_dataloader.dataset.pop('num_samples', None)
    cfg.optim_wrapper.pop('loss_scale')
    runner = Runner.from_cfg(cfg)
    assert sum(p.numel() for p in runner.model.teacher.parameters()) > 300e6  # ViT-L
    runner.train()
    assert runner.iter == 1
    losses = {k: runner.message_hub.get_scalar(f'train/{k}').current()
              for k in ('loss_pixel', 'loss_direct', 'loss_gen')}
    assert all(np.isfinite(v) for v in losses.values()), losses


def test_registered_for_mmaction_and_checkpointing_keeps_gradients():
    from mmaction.registry import MODELS as MMACTION_MODELS
    arch = dict(type='MaskedVideoViT', img_size=32, patch_size=16, num_frames=8,
                embed_dims=32, depth=2, num_heads=2, feature_blocks=(1, 2))
    torch.manual_seed(0)
    plain = MMACTION_MODELS.build(arch)
    checkpointed = MODELS.build(dict(arch, with_cp=True))
    checkpointed.load_state_dict(plain.state_dict())
    clip, visible = torch.randn(2, 3, 8, 32, 32), torch.tensor([[0, 3, 9], [1, 2, 15]])
    grads = []
    for vit in (plain, checkpointed):
        out = vit(clip, visible)
        (out.latent.sum() + out.features[0].pow(2).sum()).backward()
        grads.append(vit.blocks[0].attn.qkv.weight.grad)
    torch.testing.assert_close(grads[0], grads[1])


def test_reconstruction_picture_of_repeated_views(video_root):
    """MaskReconstructionHook on a (B, views, C, T, H, W) batch: one row per
    view, each with its own mask."""
    from amd_mm.engine.hooks import MaskReconstructionHook
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config_path(TINY))
    dataset = DATASETS.build(dict(
        cfg.train_dataloader.dataset, ann_file=osp.join(video_root, 'train_list.txt'),
        data_prefix=dict(video=video_root)))
    cfg.model.teacher.checkpoint = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = default_collate([dataset[0], dataset[1]])
    image = MaskReconstructionHook(scale=1).picture(model.eval(), batch)
    assert image.shape == (2 * 4 * 112, 4 * 112, 3) and image.dtype == np.uint8
    # the student's view (2nd panel) differs between the views of one video
    views = image[:, 112:224].reshape(8, 112, 112, 3)
    assert not np.array_equal(views[0], views[1])
