# UperNet on the Fashion-MNIST canvases as a semantic-segmentation set
# (tools/data/fashion_canvases.py: 64x64 grey, seg/ maps with 0 = background
# and 1-10 = the item classes) with the nano student (64-d, 4 blocks, 4x4
# patches) as MMSegmentation's MAE backbone: the project's UperNet recipe
# (blocks' outputs through a pyramid, layer scale and relative position bias
# learned from scratch, layer-wise lr decay), with only data, size and
# schedule changed:
# * size: MMSegmentation's Feature2Pyramid offers 4x/2x/1x/0.5x or
#   2x/1x/0.5x/0.25x; the stride-4 map takes the second (strides 2/4/8/16);
#   blocks 1-4 feed it; 64/32-channel heads; whole-canvas inference;
# * data: 11 classes (background + 10), horizontal flips, grey input
#   normalised as in pre-training;
# * schedule: iterations, AdamW lr 1e-3 (lr chosen on val; tools/demo_det.py
#   runs 300 iterations).
# MMSegmentation's MAE reads an export without prefix or final norm:
#   python tools/convert_checkpoint.py \
#       checkpoints/amd_vit-nano-p4_1xb64-1k_fashion-mnist_seed0_fp16.pth \
#       work_dirs/amd_seg.pth --to mmseg
#   python tools/train.py configs/amd/benchmarks/mmseg/upernet_vit-nano-p4_fashion-canvas.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/amd_seg.pth
_base_ = './upernet_vit-base-p16_8xb2-160k_ade20k-512x512.py'

canvas = 64
crop_size = (canvas, canvas)
data_root = 'data/fashion_canvases/v1_s64_n2000-300-300_k5_seed0/'
classes = ('background', 'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
metainfo = dict(classes=classes, palette=[[0, 0, 0]] + [
    [(37 * i) % 256, (97 * i) % 256, (157 * i) % 256] for i in range(1, len(classes))])
embed_dims = 64
norm_cfg = dict(type='BN', requires_grad=True)  # one process (the base's SyncBN needs several)

data_preprocessor = dict(size=crop_size, mean=[72.94], std=[90.0], bgr_to_rgb=False)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        img_size=crop_size, patch_size=4, in_channels=1, embed_dims=embed_dims,
        num_layers=4, num_heads=4, mlp_ratio=4, drop_path_rate=0.1,
        out_indices=[0, 1, 2, 3], init_cfg=dict(checkpoint='')),
    neck=dict(embed_dim=embed_dims, rescales=[2, 1, 0.5, 0.25], norm_cfg=norm_cfg),
    decode_head=dict(in_channels=[embed_dims] * 4, channels=64, num_classes=len(classes),
                     norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=embed_dims, channels=32, num_classes=len(classes),
                        norm_cfg=norm_cfg),
    test_cfg=dict(_delete_=True, mode='whole'))

train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs'),
]


def _split(name, pipeline, **kwargs):
    return dict(type='BaseSegDataset', data_root=data_root, metainfo=metainfo,
                img_suffix='.png', seg_map_suffix='.png', reduce_zero_label=False,
                data_prefix=dict(img_path=f'images/{name}', seg_map_path=f'seg/{name}'),
                pipeline=pipeline, **kwargs)


train_dataloader = dict(
    _delete_=True, batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_split('train', train_pipeline))
val_dataloader = dict(
    _delete_=True, batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_split('val', test_pipeline))
test_dataloader = dict(
    _delete_=True, batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_split('test', test_pipeline))
del _split
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

max_iters = 1000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(num_layers=4, layer_decay_rate=0.65))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=50, end=max_iters, by_epoch=False),
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1),
    logger=dict(interval=50))
