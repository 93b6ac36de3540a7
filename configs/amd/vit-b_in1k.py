# AMD for images: ViT-B/16 student <- MAE ViT-L/16 teacher on ImageNet-1k.
# From the paper/official code: asymmetric masking (student keeps MAE's 75%),
# blocks 6,12 <-> 12,24, bias-free projections shared by direct and generation
# alignment, 2-block generators at teacher width, MSE terms weighted 1:1:1,
# 800 epochs, AdamW (0.9, 0.95), wd 0.05.
# Our reading (not verifiable in the released code, which is video-only):
# teacher ratio 50%, MAE's 8-block 512-d decoder with norm_pix per patch, CLS
# included in the direct alignment, batch 4096 at lr 1.5e-4 x 4096/256, 40
# warm-up epochs.
_base_ = [
    '../_base_/models/amd_vit-b_mae-l.py',
    '../_base_/datasets/imagenet_masked.py',
    '../_base_/schedules/adamw_epoch_cosine.py',
]
# placeholder: the official MAE release (mae_pretrain_vit_large.pth, {'model': timm keys})
# or an mmpretrain MAE ViT-L checkpoint; loaded strictly.
teacher_checkpoint = 'checkpoints/mae_pretrain_vit_large.pth'
model = dict(data_preprocessor={{_base_.data_preprocessor}},
             teacher=dict(checkpoint=teacher_checkpoint))
