# Real Fashion-MNIST (fetched by tools/data/fetch_data.py), 28x28 grey resized
# to 32x32 with MAE's crop/flip augmentation. Algorithm configs append their
# mask transform before PackInputs.
data_root = 'data/fashion-mnist'
img_size = 32
data_preprocessor = dict(
    type='SelfSupDataPreprocessor', mean=[72.94], std=[90.0], to_rgb=False)
train_pipeline = [
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.5, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
batch_size = 64
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='IdxImageDataset', data_root=data_root, split='train',
                 pipeline=train_pipeline))
# the schedules' lr is for this batch on one process (--auto-scale-lr)
auto_scale_lr = dict(base_batch_size=batch_size)
