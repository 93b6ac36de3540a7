# AMD for video at toy scale on the real clips of data/videos (fetched by
# tools/data/fetch_data.py, with train_list.txt): 8 frames of 112x112 in
# 2x16x16 tubelets -> a (4, 7, 7) token grid, tube masks 90% / 75%
# (5 student-visible and 8 diff tokens per slot). A 64-d/4-block student,
# a 128-d/6-block teacher (official VideoMAE or MMAction2 checkpoint format);
# blocks 2,4 <-> 3,6 as 6,12 <-> 12,24. The teacher: the Runner checkpoint of
# configs/mae/videomae_vit-micro-p16_videos.py on the same clips (the tests
# save a randomly initialised one at teacher_checkpoint).
_base_ = [
    '../_base_/datasets/video_masked_pretrain.py',
    '../_base_/schedules/adamw_iter_cosine.py',
]
data_root = 'data/videos'
ann_file = 'data/videos/train_list.txt'
clip_len = 8
img_size = 112
token_grid = (clip_len // 2, img_size // 16, img_size // 16)
teacher_checkpoint = 'work_dirs/teachers/videomae_vit-micro-p16_videos.pth'

num_views = 4
view_transforms = [
    dict(type='mmaction.MultiScaleCrop', input_size=img_size,
         scales=(1, .875, .75, .66), random_crop=False, max_wh_scale_gap=1,
         num_fixed_crops=13),
    dict(type='mmaction.Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    'masking',  # the dataset's `masking` transform, per view
]
train_pipeline = [
    dict(type='mmaction.DecordInit'),
    dict(type='CheckVideoLength', min_frames=clip_len),
    dict(type='mmaction.SampleFrames', clip_len=clip_len, frame_interval=2, num_clips=1),
    dict(type='mmaction.DecordDecode'),
    dict(type='RepeatedViews', num_views=num_views, transforms=view_transforms),
    dict(type='PackInputs', input_key='imgs', algorithm_keys=['diff_mask']),
]
batch_size = 1  # 1 video x 4 views
train_dataloader = dict(
    batch_size=batch_size, num_workers=2, pin_memory=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(ann_file=ann_file, data_prefix=dict(video=data_root),
                 pipeline=train_pipeline, masking=dict(input_size=token_grid)))
# the lr is for this batch on one process (--auto-scale-lr)
auto_scale_lr = dict(base_batch_size=batch_size)

video_vit = dict(type='MaskedVideoViT', img_size=img_size, patch_size=16,
                 num_frames=clip_len, tubelet_size=2)
model = dict(
    type='AMD',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(video_vit, embed_dims=64, depth=4, num_heads=4, feature_blocks=(2, 4)),
    # a dict, so that a child can add the file's sha256 (checked when built)
    teacher=dict(type='FrozenTeacher', feature_blocks=(3, 6),
                 checkpoint=dict(path=teacher_checkpoint),
                 backbone=dict(video_vit, embed_dims=128, depth=6, num_heads=4)),
    neck=dict(
        # widths, grid and CLS count are taken from the student and teacher
        type='DistillNeck', projection='linear',
        generator=dict(depth=1, num_heads=4),
        # no bias on the decoder's input projection, as official encoder_to_decoder
        decoder=dict(embed_dims=64, depth=2, num_heads=4, input_proj_bias=False)),
    head=dict(
        type='MaskedDistillHead', norm_pix='patch_channel',
        pixel_loss=dict(type='TokenAlignLoss', criterion='l2'),
        direct_loss=dict(type='TokenAlignLoss', criterion='l2'),
        gen_loss=dict(type='TokenAlignLoss', criterion='l2')))
