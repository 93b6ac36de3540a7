# Something-Something V2 fine-tune of the ViT-S/16 student (384-d, 6 heads):
# the ViT-B SSv2 recipe with the official ViT-S base lr 1e-3 and 40 epochs
# (MCG-NJU/AMD scripts/finetune/*); test 16 frames x 2 clips x 3 crops.
_base_ = './vit-base-p16_16x2x1-30e_ssv2.py'
model = dict(backbone=dict(embed_dims=384, num_heads=6), cls_head=dict(in_channels=384))
max_epochs = 40
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 5, eta_min=1e-6, by_epoch=True,
         begin=5, end=max_epochs, convert_to_iter_based=True),
]
