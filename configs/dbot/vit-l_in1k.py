# dBOT ViT-L/16: as vit-b_in1k.py, with a 0-block teacher at stage 0 (its
# target is LN(patch embedding + position), as the official ViT-L/H runs) and
# the full 24 blocks at stage 1; no gradient clipping (ViT-B only).
_base_ = './vit-b_in1k.py'
vit = dict(type='MaskedViT', arch='l', img_size=224, patch_size=16)
model = dict(
    backbone=dict(arch='l'),
    teacher=dict(backbone=vit, feature_blocks=(0, )))
optim_wrapper = dict(clip_grad=None)
default_hooks = dict(teacher_bootstrap=dict(stage_feature_blocks=[(0, ), (24, )]))
