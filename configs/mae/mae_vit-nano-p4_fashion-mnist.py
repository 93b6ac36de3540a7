# Plain MAE as a point of the same design space: the AMD nano config without
# a teacher (no projections, no generators, symmetric masks). Same student,
# decoder, masks and schedule as AMD, so the two differ only by distillation.
_base_ = '../amd/amd_vit-nano-p4_fashion-mnist.py'
train_dataloader = dict(dataset=dict(masking=dict(teacher_mask_ratio=0.75)))
model = dict(
    type='MaskedDistiller',
    backbone=dict(feature_blocks=()),
    teacher=None,
    neck=dict(generator=None),
    head=dict(direct_loss=None, gen_loss=None))
