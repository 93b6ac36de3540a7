# The Fashion-MNIST teacher shipped with amd_mm (checkpoints/, model zoo in
# docs/model_zoo.md and configs/mae/metafile.yml): mmpretrain's own MAE on the tiny
# ViT (128-d, 6 blocks, 1.2 M parameters: 5.7x the 64-d/4-block demo student)
# pre-trained 8x longer than the demo's students, on the 55k training split
# (the last 5k training images are the validation split of the demo).
# Re-make it with one command (trains with this config through the Runner,
# then writes the fp16 backbone and its SHA-256):
#   python tools/make_teacher.py      (or: python tools/demo.py --retrain-teacher)
_base_ = './mae_vit-tiny-p4_fashion-mnist.py'
max_iters = 8000
warmup_iters = 400
param_scheduler = dict(warmup=warmup_iters)  # cosine to 1e-5 at max_iters
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(logger=dict(interval=200),
                     checkpoint=dict(by_epoch=False, interval=2000, max_keep_ckpts=1))
