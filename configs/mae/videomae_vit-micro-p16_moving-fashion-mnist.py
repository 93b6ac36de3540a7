# The shipped video teacher: plain VideoMAE at the teacher size of the AMD
# config (128-d, 6 blocks, 4 heads), trained 8x a student's budget.
# tools/make_teacher.py --recipe moving-fashion-mnist trains it and writes
# its fp16 backbone (MMAction2 VisionTransformer keys, backbone.*).
_base_ = './videomae_vit-nano-p16_moving-fashion-mnist.py'
model = dict(
    backbone=dict(embed_dims=128, depth=6, num_heads=4))
max_iters = 8000
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
