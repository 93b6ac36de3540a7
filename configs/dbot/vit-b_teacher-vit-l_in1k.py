# dBOT with a larger, fixed teacher: ViT-B/16 student <- a pre-trained ViT-L/16
# (e.g. dBOT's own or MAE's), the decoder's projection widened to 1024.
# The official release cannot run this (its teacher is built at the student's
# width). Our reading: one 1600-epoch stage, no bootstrapping.
_base_ = './vit-b_in1k.py'
teacher_checkpoint = 'checkpoints/dbot_vit_large.pth'  # placeholder, loaded strictly
model = dict(
    teacher=dict(backbone=dict(type='MaskedViT', arch='l', img_size=224, patch_size=16),
                 feature_blocks=(24, ), checkpoint=teacher_checkpoint),
    neck=dict(teacher_dims=1024, generator=dict(out_dims=1024)))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=40,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=1600 - 40, by_epoch=True, begin=40, end=1600,
         eta_min=0.0, convert_to_iter_based=True),
]
custom_hooks = [dict(type='TorchRNGStateHook')]
