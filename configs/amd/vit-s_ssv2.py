# AMD ViT-S/16 on Something-Something V2: vit-b_ssv2.py with the official
# ViT-S student (384 wide, 12 blocks, 6 heads) and its 192-wide, 3-head
# pixel decoder; teacher, data and schedule unchanged. Paper: 70.2 top-1.
#   tools/dist_train.sh configs/amd/vit-s_ssv2.py 8
_base_ = ['./vit-b_ssv2.py']
model = dict(
    backbone=dict(embed_dims=384, num_heads=6),
    neck=dict(decoder=dict(embed_dims=192, num_heads=3)))
