# Something-Something V2 for masked video pre-training: 16 frames, stride 2
# (official scripts/pretrain/ssv2/*). Lists: see docs/get_started.md, "Pre-train on video at paper scale".
_base_ = './video_masked_pretrain.py'
data_root = 'data/ssv2/videos'                   # placeholder: the .webm files
ann_file = 'data/ssv2/ssv2_train_list_videos.txt'  # placeholder
train_dataloader = dict(dataset=dict(ann_file=ann_file, data_prefix=dict(video=data_root)))
