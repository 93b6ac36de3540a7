# AMD video model (Zhao et al., CVPR 2024, https://arxiv.org/abs/2311.03149;
# official MCG-NJU/AMD models/modeling_pretrain.py,
# engine_for_pretraining_amd.py): ViT-B/16
# student with 2x16x16 tubelets distilled from a frozen VideoMAE ViT-L.
# Student and teacher are MMAction2-layout ViTs (MaskedVideoViT), so the
# student's backbone.* loads into MMAction2's VideoMAE fine-tune configs.
# Experiment configs set model.teacher.checkpoint and the data_preprocessor.
# 16 frames of 224x224 in 2x16x16 tubelets -> an (8, 14, 14) token grid
video_vit = dict(
    type='MaskedVideoViT', img_size=224, patch_size=16, num_frames=16,
    tubelet_size=2, mlp_ratio=4, qkv_bias=True,  # q/v biases, as VideoMAE
    norm_cfg=dict(type='LN', eps=1e-6), drop_path_rate=0.)  # official: drop_path 0

model = dict(
    type='AMD',
    # official: student blocks 6, 12 <-> teacher blocks 12, 24 (1-indexed)
    backbone=dict(video_vit, embed_dims=768, depth=12, num_heads=12,
                  feature_blocks=(6, 12)),
    teacher=dict(
        type='FrozenTeacher', feature_blocks=(12, 24),
        backbone=dict(video_vit, embed_dims=1024, depth=24, num_heads=16),
        checkpoint=None),
    neck=dict(
        # widths, the (8, 14, 14) grid and CLS count (none in VideoMAE) are
        # taken from the student and teacher
        type='DistillNeck', projection='linear',  # official: Linear(D_s, 1024, bias=False)
        # official: --generator_depth 2 at the teacher's width, 1024 // 64 heads
        generator=dict(depth=2, num_heads=16),
        # official: --decoder_depth 4, 384 wide / 6 heads for ViT-B, fed by
        # encoder_to_decoder = Linear(D_s, 384, bias=False); it predicts the
        # 2 x 16 x 16 x 3 values of a tubelet
        decoder=dict(embed_dims=384, depth=4, num_heads=6, input_proj_bias=False)),
    head=dict(
        type='MaskedDistillHead',
        # official: un-normalised [0, 1] pixels standardised per patch and
        # channel (std + 1e-6)
        norm_pix='patch_channel',
        # official: nn.MSELoss for all three terms, weights 1 (--align_loss l2)
        pixel_loss=dict(type='TokenAlignLoss', criterion='l2'),
        direct_loss=dict(type='TokenAlignLoss', criterion='l2'),
        gen_loss=dict(type='TokenAlignLoss', criterion='l2')))
