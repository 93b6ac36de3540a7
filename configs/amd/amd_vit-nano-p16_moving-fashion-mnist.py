# AMD on Moving Fashion-MNIST (tools/data/moving_fashion_mnist.py: real
# Fashion-MNIST items moving and bouncing on 64x64 canvases, 16-frame H.264
# videos): the toy video AMD of ./amd_vit-nano-p16_videos.py (64-d/4-block
# student, 128-d/6-block VideoMAE teacher, blocks 2,4 <-> 3,6) at 64x64,
# 8 frames at stride 2 in 2x16x16 tubelets -> a (4, 4, 4) token grid,
# distilled from the shipped video teacher (re-made by
# `python tools/make_teacher.py --recipe moving-fashion-mnist`).
# Only 16 tube positions per time slot, so the masks are 75% student / 50%
# teacher (4 visible + 4 diff tubes), the image demo's ratios, rather than
# the paper's 90/75 on 14x14: 90% of 16 would leave the student one tube.
# Views: multi-scale crops without flips (left/right is a label here), as
# the SSv2 recipe.
_base_ = './amd_vit-nano-p16_videos.py'
data_root = 'data/moving_fashion_mnist/videos'
ann_file = 'data/moving_fashion_mnist/train_class.txt'  # labels unused here
clip_len = 8
img_size = 64
token_grid = (clip_len // 2, img_size // 16, img_size // 16)
teacher_checkpoint = 'checkpoints/videomae_vit-micro-p16_moving-fashion-mnist_fp16.pth'
teacher_sha256 = '5cc6666708479634714b18a8989db31ad15d09c30323dafa39f33314891c25f7'

view_transforms = [
    dict(type='mmaction.MultiScaleCrop', input_size=img_size,
         scales=(1, .875, .75, .66), random_crop=False, max_wh_scale_gap=1,
         num_fixed_crops=13),
    dict(type='mmaction.Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    'masking',
]
train_pipeline = [
    dict(type='mmaction.DecordInit'),
    dict(type='CheckVideoLength', min_frames=(clip_len - 1) * 2 + 1),
    dict(type='mmaction.SampleFrames', clip_len=clip_len, frame_interval=2, num_clips=1),
    dict(type='mmaction.DecordDecode'),
    dict(type='RepeatedViews', num_views={{_base_.num_views}}, transforms=view_transforms),
    dict(type='PackInputs', input_key='imgs', algorithm_keys=['diff_mask']),
]
batch_size = 8
train_dataloader = dict(
    batch_size=batch_size, num_workers=1, persistent_workers=False,
    dataset=dict(ann_file=ann_file, data_prefix=dict(video=data_root),
                 pipeline=train_pipeline,
                 masking=dict(input_size=token_grid, student_mask_ratio=0.75,
                              teacher_mask_ratio=0.5)))
auto_scale_lr = dict(base_batch_size=batch_size)  # the lr is for this batch, one process
# Teacher targets normalised per token (LayerNorm without affine, as dBOT's
# targets), where the official AMD regresses raw residual-stream features:
# this teacher's blocks 3/6 made the raw direct + generated losses ~1.4e3,
# 3500x the pixel loss, and the student fine-tuned to chance on direction
# (val 11.3%); with normalised targets 22.3% (seed 0, 600 iterations; the
# VideoMAE student: 44.0%).
feature_loss = dict(type='TokenAlignLoss', criterion='l2', target_norm='layer_norm')
model = dict(
    head=dict(direct_loss=feature_loss, gen_loss=feature_loss),
    backbone=dict(img_size=img_size, num_frames=clip_len),
    teacher=dict(checkpoint=dict(path=teacher_checkpoint, sha256=teacher_sha256),
                 backbone=dict(img_size=img_size, num_frames=clip_len)),
    neck=dict(grid=token_grid))
max_iters = 1000
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
