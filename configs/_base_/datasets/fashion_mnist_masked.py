# Fashion-MNIST with amd_mm's asymmetric masks (student / teacher / diff),
# drawn per sample at the pipeline's 'masking' step by the dataset's
# `masking` transform; algorithms set its ratios by key, e.g.
#   train_dataloader = dict(dataset=dict(masking=dict(teacher_mask_ratio=0.75)))
_base_ = './fashion_mnist_pretrain.py'
token_grid = (8, 8)  # 32x32 input, 4x4 patches
train_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    'masking',  # the dataset's `masking` transform
    dict(type='PackInputs', algorithm_keys=['diff_mask']),
]
train_dataloader = dict(dataset=dict(
    pipeline=train_pipeline,
    masking=dict(type='AsymmetricMasking', input_size=token_grid,
                 student_mask_ratio=0.75, teacher_mask_ratio=0.5)))
