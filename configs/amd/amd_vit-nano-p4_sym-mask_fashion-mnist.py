# AMD's central ablation at toy scale: the AMD nano config with a symmetric
# teacher mask (the teacher sees exactly the student's 25% of tokens instead
# of 50%), so there are no diff tokens and nothing for a generator to
# generate; only the direct alignment of blocks 2,4 <-> 3,6 and the pixels
# remain (the teacher-mask-ratio ablation of arXiv 2311.03149).
_base_ = './amd_vit-nano-p4_fashion-mnist.py'
train_dataloader = dict(dataset=dict(masking=dict(teacher_mask_ratio=0.75)))
model = dict(neck=dict(generator=None), head=dict(gen_loss=None))
