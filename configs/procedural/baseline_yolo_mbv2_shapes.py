# YOLOv3 + MobileNetV2 x0.35 at 160 px on the procedural shapes task: 5
# classes drawn on the fly, new images every epoch (FreshImagesSampler), so
# the detector cannot overfit and, being tiny, underfits. Nothing to
# download or generate beforehand. Baseline twin of
# netaug_yolo_mbv2_shapes.py; benchmarks/accuracy.py runs both.
_base_ = '../baseline_yolo_mbv2_tiny.py'

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)

input_size = (160, 160)
max_epochs = 6
images_per_epoch = 512
val_images = 300

model = dict(
    bbox_head=dict(
        num_classes=5,
        anchor_generator=dict(base_sizes=[[(72, 72), (60, 84), (84, 60)],
                                          [(40, 40), (34, 48), (48, 34)],
                                          [(20, 20), (16, 24), (24, 16)]])))

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
    # CocoMetric builds its ground truth from 'instances' (no ann_file)
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'instances'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(_delete_=True, type='mmnetaug.FreshImagesSampler',
                 shuffle=False),
    batch_sampler=None,
    dataset=dict(
        _delete_=True,
        type='mmnetaug.ProceduralShapesDataset',
        num_images=images_per_epoch,
        seed=0,
        img_size=input_size[0],
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='mmnetaug.ProceduralShapesDataset',
        num_images=val_images,
        seed=1,
        img_size=input_size[0],
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='CocoMetric', metric='bbox',
                     ann_file=None)
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
# AdamW, as in the demo: the stock SGD barely moves a from-scratch tiny
# detector in a few epochs.
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=0.002, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         eta_min=1e-4)
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_epochs))
auto_scale_lr = dict(base_batch_size=8)
