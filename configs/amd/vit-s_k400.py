# AMD ViT-S/16 on Kinetics-400: vit-b_k400.py with the official ViT-S
# student (384 wide, 12 blocks, 6 heads) and its 192-wide, 3-head pixel
# decoder; teacher, data and schedule unchanged. Paper: 80.1 top-1.
#   tools/dist_train.sh configs/amd/vit-s_k400.py 8
_base_ = ['./vit-b_k400.py']
model = dict(
    backbone=dict(embed_dims=384, num_heads=6),
    neck=dict(decoder=dict(embed_dims=192, num_heads=3)))
