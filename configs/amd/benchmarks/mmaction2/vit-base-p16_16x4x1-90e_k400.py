# Fine-tune a pre-trained amd_mm video ViT-B/16 student on Kinetics-400 with
# MMAction2: the official AMD/VideoMAE recipe (MCG-NJU/AMD
# run_class_finetuning.py, scripts/finetune/*): 90
# epochs, base lr 7e-4 per 256 clips (scaled by the real batch), AdamW
# (0.9, 0.999) wd 0.05, layer decay 0.75, drop path 0.1, warmup 5 epochs,
# cosine to 1e-6, mixup 0.8 / cutmix 1.0, label smoothing 0.1, random
# erasing 0.25, dense 16x4 sampling; test 16 frames x 5 clips x 3 crops.
# Not carried over: RandAugment (MMAction2 wraps pytorchvideo's, not in the
# pinned stack) and repeated augmentation (num_sample 2).
# The student's backbone.* loads as is (MaskedVideoViT has MMAction2's keys):
#   tools/dist_train.sh configs/amd/benchmarks/mmaction2/vit-base-p16_16x4x1-90e_k400.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PRETRAIN.pth
_base_ = ('mmaction::recognition/videomae/'
          'vit-base-p16_videomae-k400-pre_16x4x1_kinetics-400.py')
custom_imports = dict(imports=['amd_mm'], allow_failed_imports=False)

num_classes = 400
model = dict(
    backbone=dict(
        drop_path_rate=0.1,
        # MMAction2's ViT ignores `pretrained=`: init_cfg is the only way in
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    cls_head=dict(num_classes=num_classes, label_smooth_eps=0.1),
    data_preprocessor=dict(blending=dict(
        type='RandomBatchAugment',
        augments=[dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
                  dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))

dataset_type = 'VideoDataset'
data_root = 'data/kinetics400/videos_train'
data_root_val = 'data/kinetics400/videos_val'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'
ann_file_val = 'data/kinetics400/kinetics400_val_list_videos.txt'
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=16, frame_interval=4, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
val_pipeline = [  # one centre view while training; the test views are the base's
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=16, frame_interval=4, num_clips=1, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
train_dataloader = dict(
    batch_size=16, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, ann_file=ann_file_train,
                 data_prefix=dict(video=data_root), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, ann_file=ann_file_val,
                 data_prefix=dict(video=data_root_val), pipeline=val_pipeline,
                 test_mode=True))
val_evaluator = dict(type='AccMetric')

max_epochs = 90
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1,
                 val_interval=5)
val_cfg = dict(type='ValLoop')
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=7e-4, betas=(0.9, 0.999), weight_decay=0.05),
    # amd_mm's constructor: MMAction2's own only knows backbones whose class
    # name contains 'VisionTransformer' (not MaskedVideoViT)
    constructor='ViTLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.75, flat_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 5, eta_min=1e-6, by_epoch=True,
         begin=5, end=max_epochs, convert_to_iter_based=True),
]
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=3, save_best='auto'))
# official: lr = base_lr x total batch / 256
auto_scale_lr = dict(enable=True, base_batch_size=256)
