# AMD for images: ViT-S/16 student <- MAE ViT-B/16 teacher, blocks 6,12 <-> 6,12
# (paper); everything else as configs/amd/vit-b_in1k.py.
_base_ = './vit-b_in1k.py'
teacher_checkpoint = 'checkpoints/mae_pretrain_vit_base.pth'  # placeholder
model = dict(
    backbone=dict(arch='deit-s'),  # 384-d, 12 blocks, 6 heads
    teacher=dict(backbone=dict(arch='b'), feature_blocks=(6, 12),
                 checkpoint=teacher_checkpoint),
    neck=dict(generator=dict(num_heads=12)))
