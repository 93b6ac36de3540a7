# dBOT at toy scale on real Fashion-MNIST: the nano student, a teacher of the
# same size that sees the full image and is bootstrapped from the student
# (random at stage 0, the student at the half-way iteration), a latent-fed
# decoder predicting the teacher's standardised last block at masked tokens
# and CLS (SmoothL1, beta 2), no pixel loss.
_base_ = '../amd/amd_vit-nano-p4_fashion-mnist.py'
stage_iters = 1000
train_dataloader = dict(dataset=dict(masking=dict(teacher_mask_ratio=0.0)))
model = dict(
    type='dBOT',
    backbone=dict(feature_blocks=()),
    teacher=dict(backbone=dict(arch={{_base_.student_arch}}), feature_blocks=(4, ),
                 checkpoint=None),
    neck=dict(generator_input='latent',
              generator=dict(embed_dims=64, depth=2, num_heads=4,
                             final_norm=True, predict_prefix=True),
              decoder=None),
    head=dict(pixel_loss=None, direct_loss=None,
              gen_loss=dict(type='TokenAlignLoss', criterion='smooth_l1', beta=2.0,
                            target_norm='layer_norm')))
# one stage's schedule, replayed at each stage by TeacherBootstrapHook
param_scheduler = dict(warmup=50, end=stage_iters)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2 * stage_iters)
# a named default hook: default_hooks.teacher_bootstrap.stages=[...]
default_hooks = dict(
    teacher_bootstrap=dict(type='TeacherBootstrapHook', stages=[stage_iters], by_epoch=False))
