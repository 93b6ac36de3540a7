# Kinetics-400 for masked video pre-training: 16 frames, stride 4 (official
# MCG-NJU/AMD scripts/pretrain/k400/*). Lists: see docs/get_started.md, "Pre-train on video at paper scale".
_base_ = './video_masked_pretrain.py'
data_root = 'data/kinetics400/videos_train'                      # placeholder
ann_file = 'data/kinetics400/kinetics400_train_list_videos.txt'  # placeholder
frame_interval = 4
clip_len = 16
img_size = 224
# the decode steps again (an inherited list cannot be patched item by item);
# only SampleFrames' frame_interval differs from the base; the masks stay the
# dataset's `masking` field
train_pipeline = [
    dict(type='mmaction.DecordInit'),
    dict(type='CheckVideoLength', min_frames=clip_len),
    dict(type='mmaction.SampleFrames', clip_len=clip_len,
         frame_interval=frame_interval, num_clips=1),
    dict(type='mmaction.DecordDecode'),
    dict(type='RepeatedViews', num_views={{_base_.num_views}},
         transforms={{_base_.view_transforms}}),
    dict(type='PackInputs', input_key='imgs', algorithm_keys=['diff_mask']),
]
train_dataloader = dict(dataset=dict(ann_file=ann_file, data_prefix=dict(video=data_root),
                                     pipeline=train_pipeline))
