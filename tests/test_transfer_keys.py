"""The student's backbone weights load into mmpretrain's fine-tune ViT."""
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from conftest import config_path


def test_student_backbone_loads_into_mae_finetune_vit():
    cfg = Config.fromfile(config_path('amd/amd_vit-nano-p4_fashion-mnist.py'))
    student = MODELS.build(cfg.model.backbone)
    student.init_weights()
    # the ViT of mmpretrain's MAE fine-tune configs
    # (configs/mae/benchmarks/vit-base-p16_8xb128-coslr-100e_in1k.py), at this size
    finetune = MODELS.build(dict(
        type='VisionTransformer', arch=cfg.student_arch, img_size=32, patch_size=4,
        patch_cfg=dict(in_channels=1), drop_path_rate=0.1, out_type='avg_featmap',
        final_norm=False))
    state = {'backbone.' + k: v for k, v in student.state_dict().items()}
    backbone_state = {k[len('backbone.'):]: v for k, v in state.items()}
    result = finetune.load_state_dict(backbone_state, strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for key, value in finetune.state_dict().items():
        assert torch.equal(value, backbone_state[key]), key
    # same features as the student's unmasked forward
    images = torch.randn(2, 1, 32, 32)
    student.eval(), finetune.eval()
    torch.testing.assert_close(finetune(images)[0], student(images)[0])
