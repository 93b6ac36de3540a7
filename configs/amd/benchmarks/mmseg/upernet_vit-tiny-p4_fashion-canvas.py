# The shipped MAE ViT-tiny teacher (128-d, 6 blocks) as the UperNet backbone
# on the Fashion-MNIST canvases: the nano config with the teacher's size;
# blocks 2, 3, 4, 6 feed the pyramid (ViT-B's 4, 6, 8, 12 of 12, halved).
_base_ = './upernet_vit-nano-p4_fashion-canvas.py'
embed_dims = 128
model = dict(
    backbone=dict(embed_dims=embed_dims, num_layers=6, num_heads=4, out_indices=[1, 2, 3, 5]),
    neck=dict(embed_dim=embed_dims),
    decode_head=dict(in_channels=[embed_dims] * 4),
    auxiliary_head=dict(in_channels=embed_dims))
optim_wrapper = dict(paramwise_cfg=dict(num_layers=6))
