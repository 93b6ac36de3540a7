# Moving Fashion-MNIST direction of motion (8 classes; needs temporal order,
# as SSv2 does) with the video nano student (64-d, 4 blocks, 2x16x16
# tubelets on 8 frames of 64x64): the project's SSv2 fine-tune recipe (no
# flip, uniform sampling, label smoothing, layer decay 0.75, AdamW) with
# this set's data and size and a 6-epoch schedule. Chosen on the val split
# (direction, 6 epochs, seed 0): mixup/cutmix and random erasing off (a
# 1k-iteration VideoMAE student: val 12% with them, 19% without, at lr 1e-3;
# chance is 12.5%) and base lr 4e-3 (the same student: 31% at 4e-3).
# Test: 2 temporal clips x 3 crops, as the SSv2 config.
#   python tools/train.py configs/amd/benchmarks/mmaction2/vit-nano-p16_moving-fashion-mnist_direction.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=PRETRAIN.pth
_base_ = './vit-small-p16_16x2x1-40e_ssv2.py'

num_classes = 8
clip_len = 8
img_size = 64
model = dict(
    backbone=dict(img_size=img_size, num_frames=clip_len, embed_dims=64, depth=4,
                  num_heads=4, drop_path_rate=0.0),
    cls_head=dict(in_channels=64, num_classes=num_classes),
    data_preprocessor=dict(blending=None))

data_root = 'data/moving_fashion_mnist/videos'
ann_file_train = 'data/moving_fashion_mnist/train_direction.txt'
ann_file_val = 'data/moving_fashion_mnist/val_direction.txt'
ann_file_test = 'data/moving_fashion_mnist/test_direction.txt'
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=clip_len, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='RandomResizedCrop', area_range=(0.5, 1.0)),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
val_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=clip_len, num_clips=1, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
test_pipeline = [  # 2 temporal clips x 3 spatial crops (square frames: 3 equal crops)
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=clip_len, num_clips=2, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='ThreeCrop', crop_size=img_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
loader = dict(num_workers=1, persistent_workers=False, pin_memory=False)
train_dataloader = dict(
    batch_size=16, **loader,
    dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, **loader,
    dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root),
                 pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=4, **loader,
    dataset=dict(ann_file=ann_file_test, data_prefix=dict(video=data_root),
                 pipeline=test_pipeline))

max_epochs = 6
optim_wrapper = dict(optimizer=dict(lr=4e-3))
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs, val_interval=max_epochs)
# the SSv2 schedule (linear warm-up, cosine to 1e-6) by name, not list index:
# param_scheduler.warmup (epochs), .end (default: max_epochs)
param_scheduler = dict(_delete_=True, type='mmpretrain.WarmupCosineLR', warmup=1,
                       start_factor=1e-3, eta_min=1e-6, by_epoch=True,
                       convert_to_iter_based=True)
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None),
                     logger=dict(interval=20))
auto_scale_lr = dict(enable=False)  # lr below is for this batch
