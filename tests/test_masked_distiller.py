"""amd_mm/models/algorithms: the paper names, the wiring derived from the
blocks, and the normalisation handed to the pixel targets."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from amd_mm.models import DMAE, MaskedDistiller, dBOT
from conftest import config_path


def build(config, **options):
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config_path(config))
    cfg.merge_from_dict(options)
    if cfg.model.get('teacher'):
        cfg.model.teacher.checkpoint = None
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    return MODELS.build(cfg.model)


@pytest.mark.parametrize('config, cls, pairs', [
    ('amd/amd_vit-nano-p4_fashion-mnist.py', MaskedDistiller, 2),
    ('dmae/dmae_vit-nano-p4_fashion-mnist.py', DMAE, 1),
    ('dbot/dbot_vit-nano-p4_fashion-mnist.py', dBOT, 0),
    ('mae/mae_vit-nano-p4_fashion-mnist.py', MaskedDistiller, 0),
])
def test_registered_names_and_layer_pairs_from_the_blocks(config, cls, pairs):
    model = build(config)
    assert type(model) is cls
    assert model.neck.num_layer_pairs == pairs == len(model.backbone.feature_blocks)
    assert len(model.neck.projections) == pairs


def test_one_key_changes_the_aligned_blocks():
    model = build('amd/amd_vit-nano-p4_fashion-mnist.py',
                  **{'model.backbone.feature_blocks': (4, ), 'model.teacher.feature_blocks': (6, )})
    assert model.neck.num_layer_pairs == 1 and len(model.neck.generators) == 1
    with pytest.raises(ValueError, match='teacher.feature_blocks'):
        build('amd/amd_vit-nano-p4_fashion-mnist.py', **{'model.backbone.feature_blocks': (4, )})


def test_video_model_hands_its_normalisation_to_the_head():
    model = build('amd/amd_vit-nano-p16_videos.py')
    norm = model.input_norm
    torch.testing.assert_close(norm.mean, torch.tensor([123.675, 116.28, 103.53]))
    torch.testing.assert_close(norm.std, torch.tensor([58.395, 57.12, 57.375]))
    assert model.head.norm_pix == 'patch_channel'
