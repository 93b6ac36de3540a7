# DMAE at toy scale on real Fashion-MNIST: the AMD nano config made
# symmetric (the teacher sees exactly the student's tokens), one aligned
# block at 75% depth (student 3 of 4 <-> teacher 5 of 6, cf. 9/12 <-> 18/24),
# a biased projection and L1 on unit vectors; no generator.
_base_ = '../amd/amd_vit-nano-p4_fashion-mnist.py'
mask_ratio = 0.75
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='AsymmetricMasking', input_size=(8, 8),
         student_mask_ratio=mask_ratio, teacher_mask_ratio=mask_ratio),
    dict(type='PackInputs', algorithm_keys=['diff_mask', 'teacher_mask']),
]))
model = dict(
    backbone=dict(feature_blocks=(3, )),
    teacher=dict(feature_blocks=(5, )),
    neck=dict(num_layers=1, projection='linear_bias', generator=None),
    head=dict(direct_loss=dict(criterion='l1', pred_norm='l2', target_norm='l2'),
              gen_loss=None))
