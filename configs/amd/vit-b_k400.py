# AMD ViT-B/16 on Kinetics-400, the official recipe (MCG-NJU/AMD
# scripts/pretrain/k400): 16 frames at stride 4,
# teacher VideoMAE ViT-L pre-trained 1600 epochs on K400, 200 epochs x 4
# repeats ("800e"); paper: 82.2 top-1 after fine-tuning.
#   tools/dist_train.sh configs/amd/vit-b_k400.py 8
_base_ = [
    '../_base_/models/amd_vit-b_videomae-l.py',
    '../_base_/datasets/k400_masked_pretrain.py',
    '../_base_/schedules/amd_video_200e.py',
]
# placeholder: the official VideoMAE v1 release checkpoint
teacher_checkpoint = 'checkpoints/VideoMAEv1_vit_L_k400_pt_1600e.pth'
model = dict(data_preprocessor={{_base_.data_preprocessor}},
             teacher=dict(checkpoint=teacher_checkpoint))
