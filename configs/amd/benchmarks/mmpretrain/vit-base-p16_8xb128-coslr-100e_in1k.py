# Fine-tune a pre-trained amd_mm ViT-B/16 student (AMD, DMAE or dBOT) on
# ImageNet-1k with mmpretrain: MAE's fine-tune recipe, which all three use
# for ViT-B (facebookresearch/mae FINETUNE.md, UCSC-VLAA/DMAE finetune.sh,
# liuxingbin/dbot main_finetune.py): 100 epochs, lr 2e-3 at batch
# 1024 (blr 5e-4), layer-wise lr decay 0.65, drop path 0.1, mixup 0.8 /
# cutmix 1.0, label smoothing 0.1, RandAugment m9, random erasing 0.25,
# global average pooling into the `ln2` norm the student was saved with.
#   tools/dist_train.sh configs/amd/benchmarks/mmpretrain/vit-base-p16_8xb128-coslr-100e_in1k.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PRETRAIN.pth
_base_ = 'mmpretrain::mae/benchmarks/vit-base-p16_8xb128-coslr-100e_in1k.py'
# amd_mm's compat lets MMEngine read the raw pre-training checkpoint
custom_imports = dict(imports=['amd_mm'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        arch='base', img_size=224, patch_size=16, drop_path_rate=0.1,
        out_type='avg_featmap', final_norm=False,
        # a raw amd_mm checkpoint or its --to mmpretrain export
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')))
