# Plain VideoMAE student on Moving Fashion-MNIST: the AMD config of the same
# student, data, masks and schedule without a teacher (symmetric 75% tubes).
_base_ = '../amd/amd_vit-nano-p16_moving-fashion-mnist.py'
train_dataloader = dict(dataset=dict(masking=dict(teacher_mask_ratio=0.75)))
model = dict(
    type='MaskedDistiller',
    backbone=dict(feature_blocks=()),
    teacher=None,
    neck=dict(generator=None),
    head=dict(direct_loss=None, gen_loss=None))
