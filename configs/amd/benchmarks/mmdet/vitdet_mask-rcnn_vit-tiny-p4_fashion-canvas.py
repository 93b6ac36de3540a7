# The shipped MAE ViT-tiny teacher (128-d, 6 blocks) as the ViTDet backbone
# on the Fashion-MNIST canvases: the nano config with the teacher's size;
# windows in blocks 0, 1, 3, 4 and global attention in 2 and 5, as ViTDet
# places them (every third block global).
_base_ = './vitdet_mask-rcnn_vit-nano-p4_fashion-canvas.py'
embed_dims = 128
teacher_checkpoint = 'checkpoints/mae_vit-tiny-p4_1xb64-8k_fashion-mnist_fp16.pth'
model = dict(
    backbone=dict(embed_dims=embed_dims, depth=6, num_heads=4,
                  window_block_indexes=[0, 1, 3, 4],
                  init_cfg=dict(checkpoint=teacher_checkpoint)),
    neck=dict(backbone_channel=embed_dims, in_channels=[embed_dims] * 4))
