# dBOT: ViT-B/16, bootstrapped teacher, 2 stages x 800 epochs.
# From the paper/official code: the teacher sees the full image (teacher mask
# ratio 0); the target is its last block before the final norm, standardised
# per token (LN without affine); an 8-block 512-d decoder (drop path 0.2 like
# the encoder) predicts teacher-width features at every masked token and CLS;
# SmoothL1 (beta 2); no pixel loss; stage 0's teacher is the student's random
# initialisation; at epoch 800 the teacher becomes the student, the student
# is re-initialised and the lr schedule (40 warm-up epochs + cosine to 0)
# restarts; batch 4096, blr 1.5e-4, clip 3.0 (ViT-B only).
# Deliberate differences: AdamW's state is reset at the switch and the new
# student is identical on every rank (the release does neither).
_base_ = [
    '../_base_/datasets/imagenet_masked.py',
    '../_base_/schedules/adamw_epoch_cosine.py',
]
stage_epochs = 800
num_stages = 2
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='AsymmetricMasking', input_size=(14, 14),
         student_mask_ratio=0.75, teacher_mask_ratio=0.0),
    dict(type='PackInputs', algorithm_keys=['diff_mask', 'teacher_mask']),
]))
vit = dict(type='MaskedViT', arch='b', img_size=224, patch_size=16)
model = dict(
    type='MaskedDistiller',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(vit, drop_path_rate=0.2),
    teacher=dict(type='FrozenTeacher', backbone=vit, feature_blocks=(12, ), checkpoint=None),
    neck=dict(
        type='DistillNeck', student_dims=768, teacher_dims=768, grid=(14, 14),
        num_layers=0, generator_input='latent',
        generator=dict(embed_dims=512, depth=8, num_heads=16, out_dims=768,
                       final_norm=True, predict_prefix=True, drop_path_rate=0.2),
        decoder=None),
    head=dict(
        type='MaskedDistillHead', patch_size=16, pixel_loss=None, direct_loss=None,
        gen_loss=dict(type='TokenAlignLoss', criterion='smooth_l1', beta=2.0,
                      target_norm='layer_norm')))
optim_wrapper = dict(clip_grad=dict(max_norm=3.0))
# one stage's schedule; TeacherBootstrapHook replays it at every stage
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=40,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=stage_epochs - 40, by_epoch=True, begin=40,
         end=stage_epochs, eta_min=0.0, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=stage_epochs * num_stages)
custom_hooks = [
    dict(type='TorchRNGStateHook'),
    dict(type='TeacherBootstrapHook', stages=[stage_epochs], by_epoch=True),
]
