# AMD image model (Zhao et al., CVPR 2024, https://arxiv.org/abs/2311.03149):
# ViT-B/16 student <- frozen MAE ViT-L/16 teacher. The released code
# (MCG-NJU/AMD) is video-only; this is its recipe on MAE's image ViTs
# (models/modeling_pretrain.py: bias-free projections, generators at the
# teacher's width). Experiment configs set model.teacher.checkpoint and the
# data_preprocessor.
vit = dict(type='MaskedViT', img_size=224, patch_size=16)
model = dict(
    type='AMD',
    # student blocks 6, 12 <-> teacher blocks 12, 24 (1-indexed, paper)
    backbone=dict(vit, arch='b', feature_blocks=(6, 12)),
    teacher=dict(type='FrozenTeacher', backbone=dict(vit, arch='l'),
                 feature_blocks=(12, 24), checkpoint=None),
    neck=dict(
        # widths, grid and CLS count are taken from the student and teacher
        type='DistillNeck', projection='linear',  # official: Linear(D_s, D_t, bias=False)
        generator=dict(depth=2, num_heads=16),  # official --generator_depth 2
        # MAE's 8-block 512-d pixel decoder (facebookresearch/mae models_mae.py)
        decoder=dict(embed_dims=512, depth=8, num_heads=16)),
    head=dict(
        type='MaskedDistillHead', norm_pix='patch',
        # official: nn.MSELoss for all three terms, weights 1:1:1
        pixel_loss=dict(type='TokenAlignLoss', criterion='l2'),
        direct_loss=dict(type='TokenAlignLoss', criterion='l2'),
        gen_loss=dict(type='TokenAlignLoss', criterion='l2')))
