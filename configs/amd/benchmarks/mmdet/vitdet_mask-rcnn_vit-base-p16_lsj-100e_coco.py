# COCO detection and instance segmentation with the image ViT-B/16 student
# as a ViTDet backbone (plain ViT, window attention in 8 of 12 blocks, the
# other 4 global, decomposed relative positions, simple feature pyramid):
# mmdet's projects/ViTDet Mask R-CNN recipe (box AP 51.6 / mask AP 45.7 from
# MAE ViT-B) with amd_mm's ViTDet and SimpleFPN, which the mmdet wheel does
# not ship. LSJ 1024 crops, 100 epochs (RepeatDataset x4 over 25 epochs,
# steps at 88/96), batch 64, AdamW 1e-4 wd 0.1, layer decay 0.7, drop path 0.1.
# ViTDet takes the raw pre-training checkpoint (prefix backbone., converted
# to timm keys at load time) or the --to timm export ({'model': ...}):
#   tools/dist_train.sh \
#       configs/amd/benchmarks/mmdet/vitdet_mask-rcnn_vit-base-p16_lsj-100e_coco.py 16 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PRETRAIN.pth
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::common/lsj-100e_coco-instance.py',
]
custom_imports = dict(imports=['amd_mm'], allow_failed_imports=False)

image_size = (1024, 1024)
norm_cfg = dict(type='LN2d', requires_grad=True)
model = dict(
    data_preprocessor=dict(
        pad_size_divisor=32,
        batch_augments=[dict(type='BatchFixedSizePad', size=image_size, pad_mask=True)]),
    backbone=dict(
        _delete_=True, type='ViTDet', img_size=1024, patch_size=16, embed_dims=768,
        depth=12, num_heads=12, mlp_ratio=4, qkv_bias=True, drop_path_rate=0.1,
        window_size=14, window_block_indexes=[0, 1, 3, 4, 6, 7, 9, 10],
        use_rel_pos=True, pretrain_img_size=224,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=dict(
        _delete_=True, type='SimpleFPN', backbone_channel=768,
        in_channels=[192, 384, 768, 768], out_channels=256, num_outs=5,
        norm_cfg=norm_cfg),
    rpn_head=dict(num_convs=2),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256,
                       norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))

test_pipeline = [  # ViTDet: the long side to 1024, padded to a square
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='Pad', size=image_size, pad_val=dict(img=(114, 114, 114))),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(batch_size=4, num_workers=8)  # 16 GPUs x 4 = 64
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    _delete_=True, type='AmpOptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.1),
    constructor='ViTLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.7, norm_decay_mult=0.0,
                       custom_keys={'.pos_embed': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=250),
    dict(type='MultiStepLR', begin=0, end=25, by_epoch=True, milestones=[22, 24],
         gamma=0.1),
]
