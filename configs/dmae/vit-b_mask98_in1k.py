# DMAE at 98% masking (4 visible patches of 196, the paper's count).
_base_ = './vit-b_in1k.py'
_mask = 0.98
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='AsymmetricMasking', input_size=(14, 14),
         student_mask_ratio=_mask, teacher_mask_ratio=_mask),
    dict(type='PackInputs', algorithm_keys=['diff_mask', 'teacher_mask']),
]))
