# Mask R-CNN on the Fashion-MNIST canvases (tools/data/fashion_canvases.py:
# 64x64 grey, 1-5 real items, 10 classes) with the nano student (64-d,
# 4 blocks, 4x4 patches, pre-trained on 32x32) as its ViTDet backbone: the
# project's ViTDet recipe (SimpleFPN, layer-wise lr decay, the student loaded
# with `Pretrained`, positions resampled 8x8 -> 16x16), with only data, size
# and schedule changed:
# * size: the stride-4 ViT map gives strides 4/8/16/32 through scale factors
#   1, 1/2, 1/4, 1/8 (not 4, 2, 1, 1/2); windows of 8x8 tokens in blocks
#   0 and 2 (a quarter of the 16x16 grid; blocks 1 and 3 global, as ViTDet
#   alternates); 64-channel pyramid and heads, anchors 16-256 px for
#   19-38 px items; fewer proposals (a canvas holds <= 5 items);
# * data: the canvases at their size, horizontal flips, grey input
#   normalised as in pre-training;
# * schedule: iterations, AdamW lr 1e-3 (lr chosen on val; tools/demo_det.py
#   runs 300 iterations).
# The AMD seed-0 student by default; another encoder with
#   --cfg-options model.backbone.init_cfg.checkpoint=FILE:
#   python tools/train.py \
#       configs/amd/benchmarks/mmdet/vitdet_mask-rcnn_vit-nano-p4_fashion-canvas.py
# (tools/demo_det.py runs data -> fine-tune -> test for every encoder.)
_base_ = './vitdet_mask-rcnn_vit-base-p16_lsj-100e_coco.py'

canvas = 64
image_size = (canvas, canvas)
data_root = 'data/fashion_canvases/v1_s64_n2000-300-300_k5_seed0/'
classes = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
           'Sneaker', 'Bag', 'Ankle boot')
metainfo = dict(classes=classes)
student_checkpoint = 'checkpoints/amd_vit-nano-p4_1xb64-1k_fashion-mnist_seed0_fp16.pth'
embed_dims = 64
width = 64  # pyramid and head channels

model = dict(
    data_preprocessor=dict(
        mean=[72.94], std=[90.0], bgr_to_rgb=False,  # Fashion-MNIST's, as pre-trained
        batch_augments=[dict(type='BatchFixedSizePad', size=image_size, pad_mask=True)]),
    backbone=dict(
        img_size=canvas, patch_size=4, in_channels=1, embed_dims=embed_dims, depth=4,
        num_heads=4, mlp_ratio=4, drop_path_rate=0.1, window_size=8,
        window_block_indexes=[0, 2], pretrain_img_size=32,
        init_cfg=dict(type='Pretrained', checkpoint=student_checkpoint, prefix='backbone.')),
    neck=dict(
        backbone_channel=embed_dims,
        in_channels=[embed_dims] * 4, scale_factors=(1, 0.5, 0.25, 0.125),
        out_channels=width),
    rpn_head=dict(
        in_channels=width, feat_channels=width,
        anchor_generator=dict(scales=[4])),  # 16, 32, 64, 128, 256 px
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=width),
        bbox_head=dict(in_channels=width, conv_out_channels=width, fc_out_channels=256,
                       num_classes=len(classes)),
        mask_roi_extractor=dict(out_channels=width),
        mask_head=dict(in_channels=width, conv_out_channels=width, num_classes=len(classes))),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=500, max_per_img=200),
        rcnn=dict(sampler=dict(num=64))),  # <= 5 items a canvas
    test_cfg=dict(
        rpn=dict(nms_pre=500, max_per_img=200),
        rcnn=dict(max_per_img=20)))

backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale', backend_args=backend_args),
    dict(type='Resize', scale=image_size, keep_ratio=True),  # a no-op that sets scale_factor
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True, type='CocoDataset', data_root=data_root, metainfo=metainfo,
        ann_file='annotations/instances_train.json', data_prefix=dict(img='images/train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=0),
        pipeline=train_pipeline, backend_args=backend_args))
val_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(
        data_root=data_root, metainfo=metainfo, ann_file='annotations/instances_val.json',
        data_prefix=dict(img='images/val/'), pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(
        type='CocoDataset', data_root=data_root, metainfo=metainfo,
        ann_file='annotations/instances_test.json', data_prefix=dict(img='images/test/'),
        test_mode=True, pipeline=test_pipeline, backend_args=backend_args))
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = dict(
    type='CocoMetric', ann_file=data_root + 'annotations/instances_test.json',
    metric=['bbox', 'segm'], format_only=False, backend_args=backend_args)

max_iters = 1000
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
optim_wrapper = dict(
    type='OptimWrapper',  # the base's AMP needs a GPU; --amp turns it back on
    optimizer=dict(lr=1e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters, eta_min=1e-5),
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1),
    logger=dict(interval=50))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=8)
