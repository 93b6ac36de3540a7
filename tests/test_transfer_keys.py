"""A pre-training checkpoint's student loads into mmpretrain's fine-tune ViT
through the config mechanism users use (``init_cfg=Pretrained,
prefix='backbone.'``), and nothing of the teacher leaks into it."""
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from conftest import config_path


def test_student_checkpoint_loads_into_mae_finetune_vit(tmp_path):
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config_path('amd/amd_vit-nano-p4_fashion-mnist.py'))
    cfg.model.teacher.checkpoint = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    # the whole pre-training model as the Runner saves it: backbone.*,
    # teacher.backbone.*, neck.*, head.* keys side by side
    path = tmp_path / 'iter_1.pth'
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)

    # the ViT of mmpretrain's MAE fine-tune configs at this size, with the
    # init_cfg those configs leave to be filled
    finetune = MODELS.build(dict(
        type='VisionTransformer', arch=cfg.student_arch, img_size=32, patch_size=4,
        patch_cfg=dict(in_channels=1), drop_path_rate=0.1, out_type='avg_featmap',
        final_norm=False,
        init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='backbone.')))
    fresh = {k: v.clone() for k, v in finetune.state_dict().items()}
    finetune.init_weights()
    student = model.backbone.state_dict()
    loaded = finetune.state_dict()
    assert loaded.keys() == student.keys()
    for key, value in loaded.items():
        assert torch.equal(value, student[key]), key
        if value.ndim >= 2 and key != 'pos_embed':  # weights (norms start at 1/0)
            assert not torch.equal(value, fresh[key]), key  # really loaded
    # the teacher (another width) did not leak in, the student's weights did
    assert model.teacher.backbone.state_dict()['ln2.weight'].shape != loaded['ln2.weight'].shape
    # same features as the student's unmasked forward
    images = torch.randn(2, 1, 32, 32)
    model.backbone.eval(), finetune.eval()
    torch.testing.assert_close(finetune(images)[0], model.backbone(images)[0])
