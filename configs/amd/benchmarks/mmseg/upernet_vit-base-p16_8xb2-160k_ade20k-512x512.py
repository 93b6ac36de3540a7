# ADE20K semantic segmentation with the image ViT-B/16 student: MMSegmentation's
# MAE recipe (UperNet over blocks 4/6/8/12 through a 4x/2x/1x/0.5x pyramid,
# relative position bias and layer scale learned from scratch, 512x512 crops,
# 160k iterations, batch 16, AdamW 1e-4, layer decay 0.65, drop path 0.1,
# slide inference; dBOT's recipe is the same with drop path 0.2, §3.5).
# MMSegmentation's MAE backbone ignores `prefix` and has no final norm, so
# export the student first:
#   python tools/convert_checkpoint.py PRETRAIN.pth seg.pth --to mmseg
#   tools/dist_train.sh \
#       configs/amd/benchmarks/mmseg/upernet_vit-base-p16_8xb2-160k_ade20k-512x512.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=seg.pth
# Needs `pip install mmsegmentation==1.2.2 ftfy regex` (fits the pinned stack).
_base_ = 'mmseg::mae/mae-base_upernet_8xb2-amp-160k_ade20k-512x512.py'
custom_imports = dict(imports=['amd_mm'], allow_failed_imports=False)
model = dict(
    pretrained=None,  # the base points at an MAE file here
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='')))
