# Fine-tune a pre-trained amd_mm ViT-S/16 student on ImageNet-1k: the ViT-B
# recipe with DMAE's ViT-S layer decay 0.75 (UCSC-VLAA/DMAE finetune.sh; the AMD
# image recipe is not published). ViT-S is 384-d/12 blocks/6 heads, which
# is mmpretrain's 'deit-small', not its 's' (768-d, 8 blocks).
_base_ = './vit-base-p16_8xb128-coslr-100e_in1k.py'
model = dict(
    backbone=dict(arch='deit-small'),
    head=dict(in_channels=384))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.75))
