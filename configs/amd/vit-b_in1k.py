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
    '../_base_/datasets/imagenet_masked.py',
    '../_base_/schedules/adamw_epoch_cosine.py',
]
# placeholder: the official MAE release (mae_pretrain_vit_large.pth, {'model': timm keys})
# or an mmpretrain MAE ViT-L checkpoint; loaded strictly.
teacher_checkpoint = 'checkpoints/mae_pretrain_vit_large.pth'
model = dict(
    type='MaskedDistiller',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='MaskedViT', arch='b', img_size=224, patch_size=16,
                  feature_blocks=(6, 12)),
    teacher=dict(type='FrozenTeacher',
                 backbone=dict(type='MaskedViT', arch='l', img_size=224, patch_size=16),
                 feature_blocks=(12, 24), checkpoint=teacher_checkpoint),
    neck=dict(
        type='DistillNeck', student_dims=768, teacher_dims=1024, grid={{_base_.token_grid}},
        num_layers=2, projection='linear',
        generator=dict(depth=2, num_heads=16),
        decoder=dict(embed_dims=512, depth=8, num_heads=16, out_dims=16 * 16 * 3)),
    head=dict(
        type='MaskedDistillHead', patch_size=16, norm_pix='patch',
        pixel_loss=dict(type='TokenAlignLoss', criterion='l2'),
        direct_loss=dict(type='TokenAlignLoss', criterion='l2'),
        gen_loss=dict(type='TokenAlignLoss', criterion='l2')))
