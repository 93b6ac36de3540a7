# Fashion-MNIST with amd_mm's asymmetric masks (student / teacher / diff),
# computed per sample in the pipeline. Ratios are set by each algorithm.
_base_ = './fashion_mnist_pretrain.py'
token_grid = (8, 8)  # 32x32 input, 4x4 patches
train_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='AsymmetricMasking', input_size=token_grid,
         student_mask_ratio=0.75, teacher_mask_ratio=0.5),
    dict(type='PackInputs', algorithm_keys=['diff_mask', 'teacher_mask']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
