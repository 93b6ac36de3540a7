# Moving Fashion-MNIST item class (10 classes; appearance) with the video
# nano student: the direction config with the class labels.
_base_ = './vit-nano-p16_moving-fashion-mnist_direction.py'
num_classes = 10
model = dict(cls_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(ann_file='data/moving_fashion_mnist/train_class.txt'))
val_dataloader = dict(dataset=dict(ann_file='data/moving_fashion_mnist/val_class.txt'))
test_dataloader = dict(dataset=dict(ann_file='data/moving_fashion_mnist/test_class.txt'))
