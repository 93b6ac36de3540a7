# AMD on real Fashion-MNIST at toy scale: a 64-d/4-block student distilled
# from the tiny MAE teacher of configs/mae/mae_vit-tiny-p4_fashion-mnist.py
# (student 75% masked, teacher 50%; blocks 2,4 <-> 3,6 as 6,12 <-> 12,24).
# The tests and the demo use it.
_base_ = [
    '../_base_/datasets/fashion_mnist_masked.py',
    '../_base_/schedules/adamw_iter_cosine.py',
]
student_arch = dict(embed_dims=64, num_layers=4, num_heads=4, feedforward_channels=256)
teacher_arch = dict(embed_dims=128, num_layers=6, num_heads=4, feedforward_channels=512)
# the shipped teacher (tools/make_teacher.py re-makes it; docs/model_zoo.md)
teacher_checkpoint = 'checkpoints/mae_vit-tiny-p4_1xb64-8k_fashion-mnist_fp16.pth'
teacher_sha256 = '5cd10db458708daa93ce4062ae0ff72abb1accbd6ba73423c41e7fba6376513c'
vit = dict(type='MaskedViT', img_size=32, patch_size=4, patch_cfg=dict(in_channels=1))

model = dict(
    type='AMD',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(vit, arch=student_arch, feature_blocks=(2, 4)),
    teacher=dict(type='FrozenTeacher', backbone=dict(vit, arch=teacher_arch),
                 feature_blocks=(3, 6),
                 checkpoint=dict(path=teacher_checkpoint, sha256=teacher_sha256)),
    neck=dict(
        # widths, grid and CLS count are taken from the student and teacher
        type='DistillNeck', projection='linear',
        generator=dict(depth=1, num_heads=4),
        decoder=dict(embed_dims=64, depth=2, num_heads=4)),
    head=dict(
        type='MaskedDistillHead', norm_pix='patch',
        pixel_loss=dict(type='TokenAlignLoss', criterion='l2'),
        direct_loss=dict(type='TokenAlignLoss', criterion='l2'),
        gen_loss=dict(type='TokenAlignLoss', criterion='l2')))
