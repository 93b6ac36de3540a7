# AMD for images with a DINOv2 teacher: ViT-B/16 student <- the frozen
# DINOv2 ViT-L/14 (Oquab et al., https://arxiv.org/abs/2304.07193), the
# settings of ./vit-b_in1k.py otherwise (blocks 6,12 <-> 12,24, asymmetric
# masks 75% / 50%). The /14 teacher is fed 196x196 pixels so that its 14x14
# patch grid is the student's (token i is the same region for both); timm
# resamples its 37x37 position table to 14x14 and re-normalises the batch
# from the student's mean/std to its own.
# Needs the `teachers` extra: pip install "amd-mm[teachers]" (timm).
_base_ = './vit-b_in1k.py'
# placeholder: model.safetensors of
# https://huggingface.co/timm/vit_large_patch14_dinov2.lvd142m, loaded strictly
# after timm's checkpoint_filter_fn; nothing is downloaded
teacher_checkpoint = 'checkpoints/teachers/vit_large_patch14_dinov2.lvd142m/model.safetensors'
model = dict(
    teacher=dict(_delete_=True, type='TimmTeacher',
                 model_name='vit_large_patch14_dinov2.lvd142m',
                 checkpoint=teacher_checkpoint, feature_blocks=(12, 24)))
