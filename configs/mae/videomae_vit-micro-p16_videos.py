# The tiny video *teacher*: plain VideoMAE (configs/mae/videomae_vit-nano-
# p16_videos.py) at the teacher width/depth of the video AMD config
# (128-d, 6 blocks, 4 heads). Its Runner checkpoint (``backbone.*`` keys in
# MMAction2's VisionTransformer layout) is what FrozenTeacher loads as
# model.teacher.checkpoint in configs/amd/amd_vit-nano-p16_videos.py.
_base_ = './videomae_vit-nano-p16_videos.py'
model = dict(
    backbone=dict(embed_dims=128, depth=6, num_heads=4))
