# AMD ViT-B/16 on Something-Something V2, the official recipe
# (MCG-NJU/AMD scripts/pretrain/ssv2): 16 frames at
# stride 2, teacher VideoMAE ViT-L pre-trained 2400 epochs on SSv2,
# 200 epochs x 4 repeats, reported as "800e"; paper: 73.3 top-1 after
# fine-tuning. Official runs used 32 GPUs x 64 clips; the lr follows the
# actual batch (auto_scale_lr).
#   tools/dist_train.sh configs/amd/vit-b_ssv2.py 8
_base_ = [
    '../_base_/models/amd_vit-b_videomae-l.py',
    '../_base_/datasets/ssv2_masked_pretrain.py',
    '../_base_/schedules/amd_video_200e.py',
]
# placeholder: the official VideoMAE v1 release checkpoint (weights under
# 'model' or 'module', keys 'encoder.*'; MMAction2-format also loads)
teacher_checkpoint = 'checkpoints/VideoMAEv1_vit_L_ssv2_pt_2400e.pth'
model = dict(data_preprocessor={{_base_.data_preprocessor}},
             teacher=dict(checkpoint=teacher_checkpoint))
