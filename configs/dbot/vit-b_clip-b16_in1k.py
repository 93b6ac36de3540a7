# dBOT with a CLIP teacher (the paper's CLIP rows; official liuxingbin/dbot,
# branch `beit`, PRETRAIN.md and engine_for_pretraining.py): ViT-B/16 student
# <- the frozen OpenAI CLIP ViT-B/16 image tower (paper: 85.7 IN-1k top-1).
# From the branch: one 1600-epoch stage (no bootstrapping), 40% of the
# patches masked (78 of 196), the teacher sees the whole image, the target is
# CLIP's last block with its final norm applied to the patch tokens
# (post_patch_norm), negative-cosine loss, CLS not predicted, lr 3e-3 at batch
# 4096, drop path 0.1.
# What differs from the branch (settings amd_mm's parts have): its BEiT-style
# student encodes mask tokens at the masked positions and has block-wise
# masking; here the student encodes only its visible tokens (MAE-style) and an
# 8-block decoder (dBOT's `main` recipe, ../_base_/models/dbot_vit-b.py)
# predicts the masked tokens, and the masks are random.
# Needs the `teachers` extra: pip install "amd-mm[teachers]" (timm).
_base_ = [
    '../_base_/models/dbot_vit-b.py',
    '../_base_/datasets/imagenet_masked.py',
    '../_base_/schedules/adamw_epoch_cosine.py',
]
# placeholder: model.safetensors (or open_clip_pytorch_model.bin) of
# https://huggingface.co/timm/vit_base_patch16_clip_224.openai, loaded
# strictly after timm's checkpoint_filter_fn; nothing is downloaded
teacher_checkpoint = 'checkpoints/teachers/vit_base_patch16_clip_224.openai/model.safetensors'
train_dataloader = dict(dataset=dict(masking=dict(student_mask_ratio=0.4,
                                                  teacher_mask_ratio=0.0)))
model = dict(
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(drop_path_rate=0.1),
    # CLIP's own normalisation, patch 16, CLS and position table: the teacher
    # owns them (TimmTeacher re-normalises the student's batch)
    teacher=dict(_delete_=True, type='TimmTeacher',
                 model_name='vit_base_patch16_clip_quickgelu_224.openai',
                 checkpoint=teacher_checkpoint, feature_blocks=(12, ), final_norm=True),
    neck=dict(generator=dict(predict_prefix=False, drop_path_rate=0.1)),
    head=dict(gen_loss=dict(_delete_=True, type='TokenAlignLoss', criterion='cosine')))
# gradient clipping at 3.0: dBOT's ViT-B setting (main branch)
optim_wrapper = dict(optimizer=dict(lr=3e-3), clip_grad=dict(max_norm=3.0))
max_epochs = 1600
param_scheduler = dict(end=max_epochs)
train_cfg = dict(max_epochs=max_epochs)
