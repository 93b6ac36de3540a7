# dBOT with a CLIP teacher, ViT-L/16 student <- the frozen OpenAI CLIP
# ViT-L/14 image tower (paper: 87.8 IN-1k top-1, 56.2 ADE20K mIoU), the
# settings of ./vit-b_clip-b16_in1k.py (and what differs from the official
# `beit` branch, said there). The /14 teacher is fed 196x196 pixels, so that
# its 14x14 patch grid is the student's: token i is the same image region for
# both (its position table is resampled by timm to 14x14).
_base_ = './vit-b_clip-b16_in1k.py'
# placeholder: model.safetensors (or open_clip_pytorch_model.bin) of
# https://huggingface.co/timm/vit_large_patch14_clip_224.openai
teacher_checkpoint = 'checkpoints/teachers/vit_large_patch14_clip_224.openai/model.safetensors'
model = dict(
    backbone=dict(arch='l'),
    teacher=dict(model_name='vit_large_patch14_clip_quickgelu_224.openai',
                 checkpoint=teacher_checkpoint, feature_blocks=(24, )))
optim_wrapper = dict(clip_grad=None)  # as dBOT's ViT-L (main branch)
