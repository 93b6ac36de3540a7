# DMAE: ViT-B/16 student <- MAE ViT-L/16 teacher, symmetric masking.
# From the paper/official code: teacher sees exactly the student's tokens
# (+CLS); student block 9 -> Linear(768, 1024) with bias -> L1 between
# L2-normalised features (CLS included), alpha = 1; teacher block 18 of 24;
# 100 epochs, batch 4096, blr 1.5e-4, AdamW (0.9, 0.95), wd 0.05, warm-up 20,
# no clipping; the teacher is the MAE "visualize" checkpoint (with decoder).
# Deliberate differences: the teacher stops after block 18 and its decoder
# never runs (the release runs all 24 blocks and the decoder, against the
# paper's promise); norm_pix as MAE (the HEAD script dropped the flag).
_base_ = [
    '../_base_/datasets/imagenet_masked.py',
    '../_base_/schedules/adamw_epoch_cosine.py',
]
mask_ratio = 0.75
teacher_checkpoint = 'checkpoints/mae_visualize_vit_large.pth'  # placeholder
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='AsymmetricMasking', input_size=(14, 14),
         student_mask_ratio=mask_ratio, teacher_mask_ratio=mask_ratio),
    dict(type='PackInputs', algorithm_keys=['diff_mask', 'teacher_mask']),
]))
model = dict(
    type='MaskedDistiller',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='MaskedViT', arch='b', img_size=224, patch_size=16,
                  feature_blocks=(9, )),
    teacher=dict(type='FrozenTeacher',
                 backbone=dict(type='MaskedViT', arch='l', img_size=224, patch_size=16),
                 feature_blocks=(18, ), checkpoint=teacher_checkpoint),
    neck=dict(
        type='DistillNeck', student_dims=768, teacher_dims=1024, grid=(14, 14),
        num_layers=1, projection='linear_bias', generator=None,
        decoder=dict(embed_dims=512, depth=8, num_heads=16, out_dims=16 * 16 * 3)),
    head=dict(
        type='MaskedDistillHead', patch_size=16, norm_pix='patch', align_prefix=True,
        pixel_loss=dict(type='TokenAlignLoss', criterion='l2'),
        direct_loss=dict(type='TokenAlignLoss', criterion='l1', pred_norm='l2',
                         target_norm='l2', loss_weight=1.0),
        gen_loss=None))
max_epochs = 100
warmup_epochs = 20
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, by_epoch=True,
         begin=warmup_epochs, end=max_epochs, eta_min=0.0, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
