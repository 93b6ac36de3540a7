# Plain VideoMAE as a point of the same design space as AMD on video: the
# tiny video AMD config without a teacher (no projections, no generators,
# symmetric 90% tube masks). Same student, decoder, data and schedule as
# configs/amd/amd_vit-nano-p16_videos.py, so the two differ only by
# distillation (and the masks AMD's teacher needs).
_base_ = '../amd/amd_vit-nano-p16_videos.py'
clip_len = 8
img_size = 112
token_grid = (clip_len // 2, img_size // 16, img_size // 16)
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='mmaction.DecordInit'),
    dict(type='CheckVideoLength', min_frames=clip_len),
    dict(type='mmaction.SampleFrames', clip_len=clip_len, frame_interval=2, num_clips=1),
    dict(type='mmaction.DecordDecode'),
    dict(type='RepeatedViews', num_views={{_base_.num_views}}, transforms=[
        dict(type='mmaction.MultiScaleCrop', input_size=img_size,
             scales=(1, .875, .75, .66), random_crop=False, max_wh_scale_gap=1,
             num_fixed_crops=13),
        dict(type='mmaction.Resize', scale=(img_size, img_size), keep_ratio=False),
        dict(type='mmaction.FormatShape', input_format='NCTHW'),
        dict(type='AsymmetricMasking', input_size=token_grid,
             student_mask_ratio=0.9, teacher_mask_ratio=0.9),
    ]),
    dict(type='PackInputs', input_key='imgs', algorithm_keys=['diff_mask', 'teacher_mask']),
]))
model = dict(
    backbone=dict(feature_blocks=()),
    teacher=None,
    neck=dict(teacher_dims=None, num_layers=0, generator=None),
    head=dict(direct_loss=None, gen_loss=None))
