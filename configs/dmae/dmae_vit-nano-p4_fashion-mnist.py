# DMAE at toy scale on real Fashion-MNIST: the AMD nano config made
# symmetric (the teacher sees exactly the student's tokens), one aligned
# block at 75% depth (student 3 of 4 <-> teacher 5 of 6, cf. 9/12 <-> 18/24),
# a biased projection and L1 on unit vectors; no generator.
_base_ = '../amd/amd_vit-nano-p4_fashion-mnist.py'
train_dataloader = dict(dataset=dict(masking=dict(student_mask_ratio=0.75,
                                                  teacher_mask_ratio=0.75)))
model = dict(
    type='DMAE',
    backbone=dict(feature_blocks=(3, )),
    teacher=dict(feature_blocks=(5, )),
    neck=dict(projection='linear_bias', generator=None),
    head=dict(direct_loss=dict(criterion='l1', pred_norm='l2', target_norm='l2'),
              gen_loss=None))
