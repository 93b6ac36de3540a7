# dBOT with a larger, fixed teacher: ViT-B/16 student <- a pre-trained ViT-L/16
# (e.g. dBOT's own or MAE's), the decoder's projection widened to 1024.
# The official release cannot run this (its teacher is built at the student's
# width). Our reading: one 1600-epoch stage, no bootstrapping.
_base_ = [
    '../_base_/models/dbot_vit-b.py',
    '../_base_/datasets/imagenet_masked.py',
    '../_base_/schedules/adamw_epoch_cosine.py',
]
teacher_checkpoint = 'checkpoints/dbot_vit_large.pth'  # placeholder, loaded strictly
train_dataloader = dict(dataset=dict(masking=dict(teacher_mask_ratio=0.0)))
model = dict(
    data_preprocessor={{_base_.data_preprocessor}},
    teacher=dict(backbone=dict(type='MaskedViT', arch='l', img_size=224, patch_size=16),
                 feature_blocks=(24, ), checkpoint=teacher_checkpoint))
optim_wrapper = dict(clip_grad=dict(max_norm=3.0))
max_epochs = 1600
train_cfg = dict(max_epochs=max_epochs)
