# dBOT image model (Liu et al., https://arxiv.org/abs/2209.03917; official
# liuxingbin/dbot models_mae.py): ViT-B/16 student, a teacher of the same
# size that sees the full image; the target is its last block before the
# final norm, standardised per token (LN without affine); an 8-block 512-d
# decoder (drop path 0.2 like the encoder) predicts teacher-width features at
# every masked token and CLS; SmoothL1 (beta 2); no pixel loss. Stage 0's
# teacher is the student's random initialisation (TeacherBootstrapHook).
vit = dict(type='MaskedViT', arch='b', img_size=224, patch_size=16)
model = dict(
    type='dBOT',
    backbone=dict(vit, drop_path_rate=0.2),
    teacher=dict(type='FrozenTeacher', backbone=vit, feature_blocks=(12, ), checkpoint=None),
    neck=dict(
        type='DistillNeck', generator_input='latent',
        # out_dims: the teacher's width, taken from it
        generator=dict(embed_dims=512, depth=8, num_heads=16,
                       final_norm=True, predict_prefix=True, drop_path_rate=0.2),
        decoder=None),
    head=dict(
        type='MaskedDistillHead', pixel_loss=None, direct_loss=None,
        gen_loss=dict(type='TokenAlignLoss', criterion='smooth_l1', beta=2.0,
                      target_norm='layer_norm')))
