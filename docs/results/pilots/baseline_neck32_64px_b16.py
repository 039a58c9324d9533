# Pilot towards a converged regime (issue 10), baseline twin only, seed 0:
# is a cheaper image faster to converge? The procedural task at 64 px
# (objects 14-40 px), batch 16 (142 images/s on one core against 70 at
# 96 px and batch 8), neck/head 32, AdamW lr 0.004, cosine over 40 epochs;
# the 2x run sets max_epochs = 80 here (read when the file is parsed).
# The harder 8-class task is this file with all of
# mmnetaug.datasets.procedural_shapes.PROCEDURAL_CLASSES as `classes`.
#   python tools/train.py docs/results/pilots/baseline_neck32_64px_b16.py \
#       --cfg-options randomness.seed=0
_base_ = '../../../configs/procedural/baseline_yolo_mbv2_shapes.py'
classes = ('square', 'disc', 'triangle')
input_size = (64, 64)
object_sizes = dict(min_size=14, max_size=40, max_objects=3)
batch = 16
max_epochs = 40
model = dict(
    neck=dict(out_channels=[32, 32, 32]),
    bbox_head=dict(num_classes=len(classes), in_channels=[32, 32, 32], out_channels=[32, 32, 32],
        anchor_generator=dict(base_sizes=[[(32, 32), (26, 37), (37, 26)],
                                          [(19, 19), (16, 23), (23, 16)],
                                          [(11, 11), (9, 13), (13, 9)]])))
train_pipeline = [
    dict(type='LoadImageFromNDArray'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=input_size, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromNDArray'),
    dict(type='Resize', scale=input_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'instances'))
]
train_dataloader = dict(batch_size=batch, dataset=dict(img_size=input_size[0], classes=classes, **object_sizes, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(img_size=input_size[0], classes=classes, **object_sizes, pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, eta_min=1e-4)
]
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=max_epochs))
auto_scale_lr = dict(base_batch_size=batch)
optim_wrapper = dict(optimizer=dict(lr=0.004))
