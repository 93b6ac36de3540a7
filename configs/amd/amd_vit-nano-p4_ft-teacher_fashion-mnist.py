# DMAE's teacher question at toy scale (arXiv 2208.12256, Sec. 4: distilling
# the pre-trained teacher beats distilling it after supervised fine-tuning):
# the AMD nano config whose teacher is the shipped MAE teacher fine-tuned on
# the train split's labels, shipped in timm's format and built by timm
# (TimmTeacher: timm's VisionTransformer sized like the tiny teacher, loaded
# strictly from the local file). Re-make the file with
#   python tools/make_teacher.py --recipe fashion-mnist-finetuned
_base_ = './amd_vit-nano-p4_fashion-mnist.py'
finetuned_teacher = 'checkpoints/mae_vit-tiny-p4_fashion-mnist_ft-labels_timm_fp16.safetensors'
finetuned_teacher_sha256 = 'b9ef8cbccedeec89d55a4d37dded7efcd3f73e8ecf8bf771b6efcd1216d03e4f'
model = dict(
    teacher=dict(
        _delete_=True, type='TimmTeacher', model_name='vit_tiny_patch16_224',
        # the tiny teacher's shape: 32x32 grey input, 4x4 patches, 128-d, 6 blocks
        model_kwargs=dict(img_size=32, patch_size=4, in_chans=1, embed_dim=128, depth=6,
                          num_heads=4, num_classes=0),
        # it was fine-tuned on the student's normalisation (not timm's ImageNet one)
        mean={{_base_.data_preprocessor.mean}}, std={{_base_.data_preprocessor.std}},
        feature_blocks=(3, 6),
        checkpoint=dict(path=finetuned_teacher, sha256=finetuned_teacher_sha256)))
