# Plain VideoMAE as a point of the same design space as AMD on video: the
# tiny video AMD config without a teacher (no projections, no generators,
# symmetric 90% tube masks). Same student, decoder, data and schedule as
# configs/amd/amd_vit-nano-p16_videos.py, so the two differ only by
# distillation (and the masks AMD's teacher needs).
_base_ = '../amd/amd_vit-nano-p16_videos.py'
train_dataloader = dict(dataset=dict(masking=dict(teacher_mask_ratio=0.9)))
model = dict(
    type='MaskedDistiller',
    backbone=dict(feature_blocks=()),
    teacher=None,
    neck=dict(generator=None),
    head=dict(direct_loss=None, gen_loss=None))
