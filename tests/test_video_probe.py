"""The frozen-feature video probe (amd_mm.evaluation.video_probe) on a tiny
Moving Fashion-MNIST: clips as pre-training samples them, features that keep
the order of time, probe keys, and backbones loaded from AMD checkpoints."""
import os.path as osp

import pytest
import torch

from amd_mm.evaluation import (build_video_backbone, load_clips, probe_video_encoder,
                               video_features)

pytest.importorskip('decord')
MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


@pytest.fixture(scope='module')
def tiny(tmp_path_factory, fashion_root):
    from amd_mm.datasets.moving_items import make_moving_fashion_mnist
    root = str(tmp_path_factory.mktemp('mfm_probe'))
    make_moving_fashion_mnist(root, num_train=24, num_val=8, num_test=8,
                              fashion_root=fashion_root)
    return root


@pytest.fixture(scope='module')
def student():
    return build_video_backbone('student', None, seed=0)[0]


def test_clips_are_frames_0_to_14_at_stride_2_with_both_label_sets(tiny):
    import decord
    clips, direction = load_clips(tiny, 'val', 'direction')
    again, cls = load_clips(tiny, 'val', 'class')
    assert clips.shape == (8, 3, 8, 64, 64) and clips.dtype == torch.uint8
    assert again is clips  # one decode for both tasks
    lines = [line.split() for line in open(osp.join(tiny, 'val_class.txt'))]
    assert cls.tolist() == [int(label) for _, label in lines]
    assert direction.dtype == torch.long and 0 <= int(direction.min()) <= int(direction.max()) < 8
    frames = decord.VideoReader(osp.join(tiny, 'videos', lines[3][0])).get_batch(
        list(range(16))).asnumpy()
    assert torch.equal(clips[3], torch.from_numpy(frames[::2]).permute(3, 0, 1, 2))
    assert load_clips(tiny, 'train', 'class', count=5)[0].shape[0] == 5


def test_features_are_per_time_slot_and_keep_time_order(tiny, student):
    clips, _ = load_clips(tiny, 'val', 'direction')
    feats = video_features(student, clips, MEAN, STD, batch_size=3)
    assert feats.shape == (8, 4 * 64)
    assert student.training  # the mode is given back
    # slot s of the feature is the spatial mean of the tokens of slot s (t-major)
    x = (clips[:2].float() - torch.tensor(MEAN).view(1, 3, 1, 1, 1)) / torch.tensor(
        STD).view(1, 3, 1, 1, 1)
    student.eval()
    with torch.no_grad():
        tokens = student.forward_tokens(x).latent
    student.train()
    for slot in range(4):
        torch.testing.assert_close(feats[:2, slot * 64:(slot + 1) * 64],
                                   tokens[:, slot * 16:(slot + 1) * 16].mean(1))
    # a clip played backwards is another feature (a global mean would barely move)
    backwards = video_features(student, clips.flip(2), MEAN, STD)
    assert (backwards - feats).abs().amax(1).min() > 1e-3


def test_probe_reports_both_tasks_on_val_and_test(tiny, student):
    out = probe_video_encoder(student, MEAN, STD, tiny, splits=('val', 'test'), grid=(1e-3, 1e-2))
    for task in ('direction', 'class'):
        for key in ('probe_val', 'knn_val', 'probe', 'knn'):
            assert 0 <= out[f'{task}_{key}'] <= 1
        assert out[f'{task}_weight_decay'] > 0
    only_val = probe_video_encoder(student, MEAN, STD, tiny, train_count=12, grid=(1e-2, ))
    assert 'direction_probe' not in only_val and 'class_knn_val' in only_val
    with pytest.raises(ValueError, match='splits'):
        probe_video_encoder(student, MEAN, STD, tiny, splits=('test', ))


def test_backbones_load_from_an_amd_checkpoint_and_the_shipped_teacher(tmp_path):
    """``iter_N.pth`` of AMD pre-training holds the student under
    ``backbone.`` (and teacher, neck, head beside it)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    from amd_mm.evaluation.video_probe import VIDEO_CONFIG
    from conftest import config_path
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config_path(VIDEO_CONFIG[len('configs/'):]))
    cfg.merge_from_dict({'model.teacher.checkpoint': None})
    torch.manual_seed(1)
    model = MODELS.build(cfg.model)
    model.init_weights()
    path = str(tmp_path / 'iter_2.pth')
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)
    loaded = build_video_backbone('student', path, seed=0)[0]
    assert loaded.state_dict().keys() == model.backbone.state_dict().keys()
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    teacher = build_video_backbone(
        'teacher', 'checkpoints/videomae_vit-micro-p16_moving-fashion-mnist_fp16.pth')[0]
    assert teacher.embed_dims == 128 and len(teacher.blocks) == 6
    random_teacher = build_video_backbone('teacher', None)[0]
    assert not torch.equal(teacher.blocks[0].attn.proj.weight,
                           random_teacher.blocks[0].attn.proj.weight)
