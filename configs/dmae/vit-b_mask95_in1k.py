# DMAE at 95% masking (10 visible patches of 196, the paper's count).
_base_ = './vit-b_in1k.py'
train_dataloader = dict(dataset=dict(masking=dict(student_mask_ratio=0.95,
                                                  teacher_mask_ratio=0.95)))
