# Video pre-training data shared by the AMD video configs: an MMAction2
# VideoDataset list (`path label` per line), decord, MMAction2's transforms,
# amd_mm's tube masks. Defaults are the official AMD/VideoMAE recipe
# (MCG-NJU/AMD scripts/pretrain/ssv2/*, dataset/build.py) at 16 frames,
# stride 2 (SSv2); the per-dataset files set the stride, roots and lists.
# Masks are the dataset's `masking` transform, drawn at each view's
# 'masking' step: train_dataloader.dataset.masking.student_mask_ratio etc.
data_root = 'data/ssv2/videos'                   # placeholder
ann_file = 'data/ssv2/ssv2_train_list_videos.txt'  # placeholder
clip_len = 16          # official: --num_frames 16
frame_interval = 2     # official: --sampling_rate 2 (SSv2), 4 (K400)
img_size = 224
token_grid = (clip_len // 2, img_size // 16, img_size // 16)  # 2x16x16 tubelets
num_views = 4          # official: --num_sample 4 (repeated augmentation)

# ImageNet mean/std on RGB frames (official GroupNormalize); decord gives RGB
data_preprocessor = dict(
    type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375], format_shape='NCTHW')

# what each repeated view gets on its own (crop, resize, layout, masks)
view_transforms = [
    # official GroupMultiScaleCrop(224, [1, .875, .75, .66]), no flip; its
    # defaults as we read them (max_distort=1, more_fix_crop: 13 positions)
    dict(type='mmaction.MultiScaleCrop', input_size=img_size,
         scales=(1, .875, .75, .66), random_crop=False, max_wh_scale_gap=1,
         num_fixed_crops=13),
    dict(type='mmaction.Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    'masking',  # the dataset's `masking` transform, per view
]
train_pipeline = [
    dict(type='mmaction.DecordInit'),
    # our rule: skip (and log) videos shorter than one clip; see CheckVideoLength
    dict(type='CheckVideoLength', min_frames=clip_len),
    dict(type='mmaction.SampleFrames', clip_len=clip_len,
         frame_interval=frame_interval, num_clips=1),
    dict(type='mmaction.DecordDecode'),
    # official repeated augmentation: decode once, then num_views copies,
    # each with its own crop and masks -> (num_views, C, T, H, W) per video
    dict(type='RepeatedViews', num_views=num_views, transforms=view_transforms),
    dict(type='PackInputs', input_key='imgs', algorithm_keys=['diff_mask']),
]
train_dataloader = dict(
    batch_size=16,                # official: 16 videos x num_views=4 clips per GPU
    num_workers=10,               # official --num_workers 10 (as we read the scripts)
    persistent_workers=True,      # ours
    pin_memory=True,              # official --pin_mem default
    drop_last=True,               # official data_loader_train(drop_last=True)
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='SkippingVideoDataset', ann_file=ann_file,
                 data_prefix=dict(video=data_root), pipeline=train_pipeline,
                 # official t_consist masks (dataset/masking_generator.py):
                 # 20 student-visible and 29 diff tokens per slot
                 masking=dict(type='AsymmetricMasking', input_size=token_grid,
                              student_mask_ratio=0.9, teacher_mask_ratio=0.75)))
