"""The dense-transfer demo (amd_mm.apis.demo_dense, tools/demo_det.py): the
detector and segmentor it builds start from the shipped pre-trained tensors (positions resampled to the canvas grid), the
stride-4 pyramid has strides 4-32, and a shortened chain (few canvases, few
iterations) writes its table, per-seed CSV and picture with COCO and mIoU
scores."""
import copy
import csv
import os.path as osp

import pytest
import torch
from mmengine.registry import DefaultScope, init_default_scope

from amd_mm.apis import demo_dense as demo_det
from amd_mm.apis import shipped
from amd_mm.converters import load_checkpoint, mmpretrain_to_timm, strip_prefix
from amd_mm.datasets import fashion_canvases as canvases
SMALL = dict(size=64, train=16, val=8, test=8, seed=0)


@pytest.fixture(autouse=True)
def keep_default_scope():
    saved = copy.copy(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved


@pytest.fixture(scope='module')
def canvas_root(fashion_root, tmp_path_factory):
    return canvases.make_canvases(str(tmp_path_factory.mktemp('canvases')), fashion_root,
                                  **SMALL)


def build(task, encoder, canvas_root, tmp_path, seed=0):
    """The model of one demo fine-tune, built by its package and initialised
    as the Runner does (which loads the checkpoint)."""
    import importlib
    args = demo_det.parse_args(['--canvases', '16,8,8'])
    ckpt = demo_det.checkpoint_of(encoder, seed)
    cfg = demo_det.task_cfg(task, encoder, ckpt, args, seed, canvas_root, str(tmp_path))
    scope = 'mmdet' if task == 'det' else 'mmseg'
    init_default_scope(scope)
    model = importlib.import_module(f'{scope}.registry').MODELS.build(cfg.model)
    model.init_weights()
    return model, ckpt, cfg


@pytest.mark.parametrize('encoder,grid', [('amd', 8), ('teacher', 8)])
def test_detector_backbone_starts_from_the_pretrained_tensors(encoder, grid, canvas_root,
                                                              tmp_path):
    model, ckpt, cfg = build('det', encoder, canvas_root, tmp_path)
    pretrained = mmpretrain_to_timm(strip_prefix(load_checkpoint(ckpt)['state_dict'],
                                                 ('backbone.', )))
    state = model.backbone.state_dict()
    checked = [k for k in state if '.rel_pos_' not in k]
    assert len(checked) == len(pretrained) - 3  # all but cls_token and the final norm
    for key in checked:  # fp16 file -> fp32 parameters, exactly
        assert torch.equal(state[key], pretrained[key].float()), key
    assert state['blocks.1.attn.qkv.weight'].abs().sum() > 0
    # ViTDet keeps the 8x8 pre-training positions (equal above) and resamples
    # them to the 16x16 canvas grid in forward
    assert state['pos_embed'].shape[1] == 1 + grid * grid
    assert cfg.model.backbone.img_size == 64 and cfg.model.backbone.in_channels == 1
    feats = model.extract_feat(torch.zeros(1, 1, 64, 64))
    assert [f.shape[-1] for f in feats] == [16, 8, 4, 2, 1]  # strides 4, 8, 16, 32, 64


def test_random_init_row_has_no_checkpoint(canvas_root, tmp_path):
    model, ckpt, _ = build('det', 'random', canvas_root, tmp_path)
    assert ckpt is None and model.backbone.init_cfg is None
    shipped = mmpretrain_to_timm(strip_prefix(load_checkpoint(
        demo_det.checkpoint_of('amd', 0))['state_dict'], ('backbone.', )))
    weight = model.backbone.state_dict()['blocks.0.attn.qkv.weight']
    assert not torch.equal(weight, shipped['blocks.0.attn.qkv.weight'].float())


def test_segmentor_backbone_starts_from_the_pretrained_tensors(canvas_root, tmp_path):
    pytest.importorskip('mmseg')
    model, ckpt, cfg = build('seg', 'mae', canvas_root, tmp_path)
    exported = load_checkpoint(cfg.model.backbone.init_cfg.checkpoint)['state_dict']
    raw = strip_prefix(load_checkpoint(ckpt)['state_dict'], ('backbone.', ))
    state = model.backbone.state_dict()
    for key in ('patch_embed.projection.weight', 'layers.0.attn.qkv.weight',
                'layers.3.ffn.layers.1.weight'):
        assert torch.equal(state[key], exported[key].float())
        assert torch.equal(state[key], raw[key].float())


def test_simple_fpn_scale_factors():
    from amd_mm.downstream import SimpleFPN
    init_default_scope('mmdet')
    fpn = SimpleFPN(64, [64] * 4, 32, 5, scale_factors=(1, 0.5, 0.25, 0.125))
    outs = fpn((torch.rand(1, 64, 16, 16), ))
    assert [o.shape[-1] for o in outs] == [16, 8, 4, 2, 1]
    with pytest.raises(ValueError, match=r'in_channels must be \[64, 64, 64, 64\]'):
        SimpleFPN(64, [16, 32, 64, 64], 32, 5, scale_factors=(1, 0.5, 0.25, 0.125))
    with pytest.raises(ValueError, match='scale_factors entry 3'):
        SimpleFPN(64, [64] * 4, 32, 5, scale_factors=(3, 1, 0.5, 0.25))


def test_shipped_students_match_their_hashes():
    for method in ('mae', 'amd'):
        for seed in (0, 1, 2):
            path, digest = shipped.shipped_student(method, seed)
            assert osp.isfile(path) and len(digest) == 64


def test_shortened_chain_writes_scores_and_picture(canvas_root, tmp_path):
    rows = demo_det.main(['--work-dir', str(tmp_path), '--seeds', '0',
                          '--encoders', 'random,amd', '--canvases', '16,8,8',
                          '--data', osp.dirname(canvas_root),
                          '--det-iters', '3', '--seg-iters', '3', '--batch-size', '4'])
    for name in ('results.md', 'results.csv', 'det_predictions.png'):
        assert osp.isfile(tmp_path / name), name
    assert [r['model'] for r in rows] == ['random init', 'AMD student']
    for row in rows:
        for key in ('bbox_mAP', 'segm_mAP', 'bbox_mAP_50', 'mIoU', 'bbox_mAP_val', 'mIoU_val'):
            assert 0.0 <= row[key] <= 1.0, (key, row)
    with open(tmp_path / 'results.csv') as f:
        assert len(list(csv.DictReader(f))) == 2
    table = (tmp_path / 'results.md').read_text()
    assert '| AMD student |' in table and 'bbox mAP' in table and 'mIoU' in table


def test_segmentation_only_table_names_its_backbone_size(canvas_root, tmp_path):
    rows = demo_det.main(['--work-dir', str(tmp_path), '--seeds', '0', '--no-det',
                          '--encoders', 'amd', '--canvases', '16,8,8',
                          '--data', osp.dirname(canvas_root),
                          '--seg-iters', '2', '--batch-size', '4'])
    assert 0.2 < rows[0]['params_m'] < 0.25  # the nano student, not NaN
    table = (tmp_path / 'results.md').read_text()
    assert 'Mask R-CNN' not in table and 'UperNet 2 iterations' in table
    assert '| AMD student | 0.2' in table and 'bbox mAP' not in table
