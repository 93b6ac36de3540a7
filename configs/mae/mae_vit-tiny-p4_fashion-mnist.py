# Baseline through the stock Runner: mmpretrain's own MAE (MAEViT + its
# decoder and head), a tiny ViT on real Fashion-MNIST. Also the teacher of the
# tiny AMD/DMAE configs: `python tools/train.py configs/mae/mae_vit-tiny-p4_fashion-mnist.py`.
_base_ = [
    '../_base_/datasets/fashion_mnist_pretrain.py',
    '../_base_/schedules/adamw_iter_cosine.py',
]
# the tiny teacher-size ViT: 32x32 grey input, 4x4 patches (8x8 tokens)
vit_tiny = dict(embed_dims=128, num_layers=6, num_heads=4, feedforward_channels=512)
model = dict(
    type='MAE',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='MAEViT', arch=vit_tiny, img_size=32, patch_size=4,
                  patch_cfg=dict(in_channels=1), mask_ratio=0.75),
    neck=dict(type='MAEPretrainDecoder', num_patches=64, patch_size=4, in_chans=1,
              embed_dim=128, decoder_embed_dim=64, decoder_depth=2,
              decoder_num_heads=4, mlp_ratio=4.),
    head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=4, in_channels=1,
              loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    init_cfg=[dict(type='Xavier', layer='Linear', distribution='uniform'),
              dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)])
