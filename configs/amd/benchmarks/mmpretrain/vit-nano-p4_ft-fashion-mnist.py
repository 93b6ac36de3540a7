# Short fine-tune of a pre-trained nano student on real Fashion-MNIST through
# mmpretrain's ImageClassifier (the MAE fine-tune recipe at toy scale: the
# ViT with final_norm=False + avg_featmap, layer-wise lr decay, drop path,
# label smoothing) on the 55k train split, validated on the 5k val split and
# tested on the 10k test images.
#   --cfg-options model.backbone.init_cfg.checkpoint=PRETRAINED.pth
_base_ = 'mmpretrain::_base_/default_runtime.py'
custom_imports = dict(imports=['amd_mm'], allow_failed_imports=False)
data_root = 'data/fashion-mnist'
arch = dict(embed_dims=64, num_layers=4, num_heads=4, feedforward_channels=256)
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(num_classes=10, mean=[72.94], std=[90.0], to_rgb=False),
    backbone=dict(
        type='VisionTransformer', arch=arch, img_size=32, patch_size=4,
        patch_cfg=dict(in_channels=1), drop_path_rate=0.1, out_type='avg_featmap',
        final_norm=False,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=None,
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
              init_cfg=[dict(type='TruncNormal', layer='Linear', std=2e-5)]))
train_pipeline = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.7, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='Resize', scale=(32, 32), backend='pillow',
                      interpolation='bicubic'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=128, num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='IdxImageDataset', data_root=data_root, split='train',
                 pipeline=train_pipeline))
# validation: the last 5k training images (every choice is made on them);
# test: the 10k test images, for final numbers only
val_dataloader = dict(
    batch_size=500, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='IdxImageDataset', data_root=data_root, split='val',
                 pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = dict(val_dataloader, dataset=dict(val_dataloader['dataset'], split='test'))
test_evaluator = val_evaluator
max_iters = 600
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-3, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.75, custom_keys={
        '.ln': dict(decay_mult=0.0), '.bias': dict(decay_mult=0.0),
        '.cls_token': dict(decay_mult=0.0), '.pos_embed': dict(decay_mult=0.0)}))
# linear warm-up, then cosine to eta_min at max_iters (keys: param_scheduler.warmup/.end)
param_scheduler = dict(type='WarmupCosineLR', warmup=60, start_factor=1e-3, eta_min=1e-6,
                       by_epoch=False)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(type='LoggerHook', interval=100),
                     checkpoint=dict(type='CheckpointHook', by_epoch=False,
                                     interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='nccl'))
randomness = dict(seed=0)
