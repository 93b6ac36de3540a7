# AMD ViT-B/16 on Kinetics-400 with the teacher in its Hugging Face release:
# the VideoMAE ViT-L pre-trained on K400 (Tong et al.,
# https://arxiv.org/abs/2203.12602), loaded by transformers from its
# save_pretrained folder; the recipe of ./vit-b_k400.py otherwise (blocks
# 6,12 <-> 12,24, tube masks 90% / 75%).
# Needs the `teachers` extra: pip install "amd-mm[teachers]" (transformers).
_base_ = './vit-b_k400.py'
# placeholder: a local copy of https://huggingface.co/MCG-NJU/videomae-large
# (config.json, model.safetensors or pytorch_model.bin, and
# preprocessor_config.json, whose mean/std the teacher uses); its decoder is
# left out, every encoder tensor is loaded strictly
teacher_checkpoint = 'checkpoints/teachers/videomae-large'
model = dict(
    teacher=dict(_delete_=True, type='HFTeacher', checkpoint=teacher_checkpoint,
                 feature_blocks=(12, 24)))
