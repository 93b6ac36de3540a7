# ImageNet-1k for masked distillation: MAE's augmentation (RandomResizedCrop
# 0.2-1, bicubic, flip) then amd_mm's masks on the 14x14 token grid, drawn at
# the pipeline's 'masking' step by the dataset's `masking` transform (its
# ratios are keys: train_dataloader.dataset.masking.student_mask_ratio).
dataset_type = 'MaskedImageNet'  # mmpretrain's ImageNet + the `masking` field
data_root = 'data/imagenet/'  # placeholder: mmpretrain's ImageNet layout
token_grid = (14, 14)
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    'masking',  # the dataset's `masking` transform
    dict(type='PackInputs', algorithm_keys=['diff_mask']),
]
train_dataloader = dict(
    batch_size=512,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline=train_pipeline,
                 masking=dict(type='AsymmetricMasking', input_size=token_grid,
                              student_mask_ratio=0.75, teacher_mask_ratio=0.5)))
