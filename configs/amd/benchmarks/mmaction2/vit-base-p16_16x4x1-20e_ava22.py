# AVA 2.2 spatio-temporal action detection with the video ViT-B/16 student:
# MMAction2's VideoMAE detector (FastRCNN + AVARoIHead over the ViT feature
# map, mmdet and mmcv's RoIAlign) with the AVA 2.2 data of its SlowFast
# configs (FAIR proposals); schedule of the VideoMAE config: AdamW 1.25e-4,
# layer decay 0.75, drop path 0.2, 20 epochs. The detector's ViT applies the
# final norm as `norm` (use_mean_pooling=False), so export the student first:
#   python tools/convert_checkpoint.py PRETRAIN.pth ava.pth --to mmaction2 --final-norm norm
#   tools/dist_train.sh configs/amd/benchmarks/mmaction2/vit-base-p16_16x4x1-20e_ava22.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=ava.pth
# (A K400 fine-tune of the student loads the same way, with its `fc_norm`
# exported as `norm`.)
_base_ = ('mmaction::detection/videomae/'
          'vit-base-p16_videomae-k400-pre_8xb8-16x4x1-20e-adamw_ava-kinetics-rgb.py')
custom_imports = dict(imports=['amd_mm'], allow_failed_imports=False)

model = dict(
    init_cfg=None,  # the base loads MMAction2's K400 fine-tune here
    backbone=dict(
        type='mmaction.VisionTransformer',  # the detector is built in mmdet's scope
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')))

dataset_type = 'AVADataset'
data_root = 'data/ava/rawframes'
anno_root = 'data/ava/annotations'
ann_file_train = f'{anno_root}/ava_train_v2.2.csv'
ann_file_val = f'{anno_root}/ava_val_v2.2.csv'
exclude_file_train = f'{anno_root}/ava_train_excluded_timestamps_v2.2.csv'
exclude_file_val = f'{anno_root}/ava_val_excluded_timestamps_v2.2.csv'
label_file = f'{anno_root}/ava_action_list_v2.2_for_activitynet_2019.pbtxt'
proposal_file_train = f'{anno_root}/ava_dense_proposals_train.FAIR.recall_93.9.pkl'
proposal_file_val = f'{anno_root}/ava_dense_proposals_val.FAIR.recall_93.9.pkl'
train_dataloader = dict(dataset=dict(
    type=dataset_type, ann_file=ann_file_train, exclude_file=exclude_file_train,
    label_file=label_file, proposal_file=proposal_file_train,
    data_prefix=dict(img=data_root)))
val_dataloader = dict(dataset=dict(
    type=dataset_type, ann_file=ann_file_val, exclude_file=exclude_file_val,
    label_file=label_file, proposal_file=proposal_file_val,
    data_prefix=dict(img=data_root)))
test_dataloader = val_dataloader
val_evaluator = dict(type='AVAMetric', ann_file=ann_file_val, label_file=label_file,
                     exclude_file=exclude_file_val)
test_evaluator = val_evaluator

optim_wrapper = dict(
    # works for MMAction2's ViT and for amd_mm's MaskedVideoViT alike
    constructor='ViTLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(_delete_=True, layer_decay_rate=0.75, flat_decay_mult=0.0))
