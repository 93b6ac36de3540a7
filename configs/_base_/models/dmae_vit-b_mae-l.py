# DMAE image model (Bai et al., https://arxiv.org/abs/2208.12256; official
# UCSC-VLAA/DMAE models_mae_distill.py, engine_distill.py): ViT-B/16 student
# <- frozen MAE ViT-L/16 teacher seeing exactly the student's tokens (+CLS);
# student block 9 -> Linear(768, 1024) with bias -> L1 between L2-normalised
# features (CLS included), alpha = 1; teacher block 18 of 24. The teacher
# stops after block 18 (the release also runs blocks 19-24 and its decoder,
# whose output is unused). Experiment configs set the checkpoint and the
# symmetric masks.
vit = dict(type='MaskedViT', img_size=224, patch_size=16)
model = dict(
    type='DMAE',
    backbone=dict(vit, arch='b', feature_blocks=(9, )),
    teacher=dict(type='FrozenTeacher', backbone=dict(vit, arch='l'),
                 feature_blocks=(18, ), checkpoint=None),
    neck=dict(
        type='DistillNeck', projection='linear_bias', generator=None,
        decoder=dict(embed_dims=512, depth=8, num_heads=16)),
    head=dict(
        type='MaskedDistillHead', norm_pix='patch', align_prefix=True,
        pixel_loss=dict(type='TokenAlignLoss', criterion='l2'),
        direct_loss=dict(type='TokenAlignLoss', criterion='l1', pred_norm='l2',
                         target_norm='l2', loss_weight=1.0),
        gen_loss=None))
