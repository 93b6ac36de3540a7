# DMAE on Moving Fashion-MNIST: the video AMD nano config made symmetric (the
# teacher sees exactly the student's 75% tube-masked tokens), one aligned
# block at 75% depth (student 3 of 4 <-> teacher 5 of 6), a biased
# projection and L1 on unit vectors; no generator.
_base_ = '../amd/amd_vit-nano-p16_moving-fashion-mnist.py'
train_dataloader = dict(dataset=dict(masking=dict(teacher_mask_ratio=0.75)))
model = dict(
    type='DMAE',
    backbone=dict(feature_blocks=(3, )),
    teacher=dict(feature_blocks=(5, )),
    neck=dict(projection='linear_bias', generator=None),
    head=dict(direct_loss=dict(criterion='l1', pred_norm='l2', target_norm='l2'),
              gen_loss=None))
