# Plain MAE as a point of the same design space: the AMD nano config without
# a teacher (no projections, no generators, symmetric masks). Same student,
# decoder, masks and schedule as AMD, so the two differ only by distillation.
_base_ = '../amd/amd_vit-nano-p4_fashion-mnist.py'
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='AsymmetricMasking', input_size=(8, 8),
         student_mask_ratio=0.75, teacher_mask_ratio=0.75),
    dict(type='PackInputs', algorithm_keys=['diff_mask', 'teacher_mask']),
]))
model = dict(
    backbone=dict(feature_blocks=()),
    teacher=None,
    neck=dict(teacher_dims=None, num_layers=0, generator=None),
    head=dict(direct_loss=None, gen_loss=None))
