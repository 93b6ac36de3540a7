# DMAE: ViT-B/16 student <- MAE ViT-L/16 teacher, symmetric masking (the model:
# ../_base_/models/dmae_vit-b_mae-l.py). From the paper/official code
# (UCSC-VLAA/DMAE pretrain.sh, main_distill.py): 100 epochs, batch 4096,
# blr 1.5e-4, AdamW (0.9, 0.95), wd 0.05, warm-up 20, no clipping; the teacher
# is the MAE "visualize" checkpoint (with decoder). Our reading: norm_pix as
# MAE (the HEAD script dropped the flag).
_base_ = [
    '../_base_/models/dmae_vit-b_mae-l.py',
    '../_base_/datasets/imagenet_masked.py',
    '../_base_/schedules/adamw_epoch_cosine.py',
]
teacher_checkpoint = 'checkpoints/mae_visualize_vit_large.pth'  # placeholder
# symmetric: the teacher sees exactly the student's tokens
train_dataloader = dict(dataset=dict(masking=dict(student_mask_ratio=0.75,
                                                  teacher_mask_ratio=0.75)))
model = dict(data_preprocessor={{_base_.data_preprocessor}},
             teacher=dict(checkpoint=teacher_checkpoint))
max_epochs = 100
param_scheduler = dict(warmup=20)
train_cfg = dict(max_epochs=max_epochs)
