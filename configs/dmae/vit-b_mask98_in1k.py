# DMAE at 98% masking (4 visible patches of 196, the paper's count).
_base_ = './vit-b_in1k.py'
train_dataloader = dict(dataset=dict(masking=dict(student_mask_ratio=0.98,
                                                  teacher_mask_ratio=0.98)))
