# dBOT: ViT-B/16, bootstrapped teacher, 2 stages x 800 epochs (the model:
# ../_base_/models/dbot_vit-b.py). From the paper/official code
# (liuxingbin/dbot main_pretrain.py, util/lr_sched.py): the teacher sees the
# full image (teacher mask ratio 0); at epoch 800 the teacher becomes the
# student, the student is re-initialised and the lr schedule (40 warm-up
# epochs + cosine to 0) restarts; batch 4096, blr 1.5e-4, clip 3.0 (ViT-B
# only). Deliberate differences: AdamW's state is reset at the switch and the
# new student is identical on every rank (the release does neither).
_base_ = [
    '../_base_/models/dbot_vit-b.py',
    '../_base_/datasets/imagenet_masked.py',
    '../_base_/schedules/adamw_epoch_cosine.py',
]
stage_epochs = 800
num_stages = 2
train_dataloader = dict(dataset=dict(masking=dict(teacher_mask_ratio=0.0)))
model = dict(data_preprocessor={{_base_.data_preprocessor}})
optim_wrapper = dict(clip_grad=dict(max_norm=3.0))
# one stage's schedule; TeacherBootstrapHook replays it at every stage
param_scheduler = dict(end=stage_epochs)
train_cfg = dict(max_epochs=stage_epochs * num_stages)
# a named default hook: default_hooks.teacher_bootstrap.stages=[...]
default_hooks = dict(
    teacher_bootstrap=dict(type='TeacherBootstrapHook', stages=[stage_epochs], by_epoch=True))
