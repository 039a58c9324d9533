# RTMDet-tiny at 96 px on Fashion-MNIST items pasted on procedural
# backgrounds (the task of baseline_yolo_mbv2_fashion.py: 10 classes, 3-8
# items of 14-40 px per image, new training images every epoch, validation
# on items of the test split). mmdet's RTMDet recipe at the small input:
# CachedMosaic, RandomResize, RandomCrop, YOLOXHSVRandomAug, flips and
# CachedMixUp (sizes scaled 640 -> 96 px), PipelineSwitchHook to the
# stage-2 pipeline for the last 16 epochs (mmdet's 20 of 300, scaled), EMA,
# AdamW with a flat then cosine LR. The caches of CachedMosaic/CachedMixUp
# carry images across epochs; the sampler asks for new ones every epoch.
# AdamW at lr 0.002 for batch 8, as the YOLOX fashion configs (mmdet's
# 0.004 is for batch 256). Validation once at the end, as the other fashion
# configs (mmdet validates every stage-2 epoch). Not tuned or trained here
# yet. Baseline twin of netaug_rtmdet_tiny_fashion.py; needs
# dataset-fashion-mnist as baseline_yolo_mbv2_fashion.py does.
_base_ = '../rtmdet/baseline_rtmdet_tiny_coco.py'

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)

data_root = '/usr/share/datasets/fashion-mnist'
classes = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
img_scale = (96, 96)  # width, height
objects = dict(num_objects=(3, 8), min_size=14, max_size=40)
images_per_epoch = 512
val_images = 1000
max_epochs = 240  # the fashion schedule unit S
stage2_num_epochs = 16
switch_epoch = max_epochs - stage2_num_epochs
base_lr = 0.002

model = dict(bbox_head=dict(num_classes=len(classes)))

train_pipeline = [
    dict(type='LoadImageFromNDArray'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='CachedMosaic',
        img_scale=img_scale,
        pad_val=114.0,
        max_cached_images=20,
        random_pop=False),
    dict(
        type='RandomResize',
        scale=(2 * img_scale[0], 2 * img_scale[1]),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=img_scale),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=img_scale, pad_val=dict(img=(114, 114, 114))),
    dict(
        type='CachedMixUp',
        img_scale=img_scale,
        ratio_range=(1.0, 1.0),
        max_cached_images=10,
        random_pop=False,
        pad_val=(114, 114, 114),
        prob=0.5),
    dict(type='PackDetInputs')
]
train_pipeline_stage2 = [
    dict(type='LoadImageFromNDArray'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=img_scale),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=img_scale, pad_val=dict(img=(114, 114, 114))),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromNDArray'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Pad', size=img_scale, pad_val=dict(img=(114, 114, 114))),
    dict(type='LoadAnnotations', with_bbox=True),
    # CocoMetric builds its ground truth from 'instances' (no ann_file)
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'instances'))
]

# one dataset, not a wrapper: PipelineSwitchHook replaces its pipeline
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    sampler=dict(
        _delete_=True, type='mmnetaug.FreshImagesSampler', shuffle=False),
    dataset=dict(
        _delete_=True,
        type='mmnetaug.PastedObjectsDataset',
        num_images=images_per_epoch,
        seed=0,
        img_size=img_scale[0],
        data_root=data_root,
        classes=classes,
        **objects,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='mmnetaug.PastedObjectsDataset',
        num_images=val_images,
        seed=1,
        img_size=img_scale[0],
        data_root=data_root,
        classes=classes,
        **objects,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True, type='CocoMetric', metric='bbox', ann_file=None)
test_evaluator = val_evaluator

train_cfg = dict(
    max_epochs=max_epochs, val_interval=max_epochs, dynamic_intervals=None)
optim_wrapper = dict(optimizer=dict(lr=base_lr))
# mmdet's RTMDet schedule: linear warm-up (here 5 epochs, 320 iterations;
# mmdet's 1000 iterations are about 2 of its epochs), flat LR, then cosine
# over the second half
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1.0e-5,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=base_lr * 0.05,
        begin=max_epochs // 2,
        end=max_epochs,
        T_max=max_epochs // 2,
        by_epoch=True,
        convert_to_iter_based=True)
]
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=max_epochs))
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExpMomentumEMA',
        momentum=0.0002,
        update_buffers=True,
        priority=49),
    dict(
        type='PipelineSwitchHook',
        switch_epoch=switch_epoch,
        switch_pipeline=train_pipeline_stage2)
]
auto_scale_lr = dict(base_batch_size=8)

# mmdet's RTMDet TTA (3 scales x flip) on the images this dataset draws in
# memory: the inherited tta_pipeline loads files
tta_scales = [(96, 96), (64, 64), (128, 128)]
tta_pipeline = [
    dict(type='LoadImageFromNDArray'),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale=s, keep_ratio=True)
             for s in tta_scales],
            [dict(type='RandomFlip', prob=1.),
             dict(type='RandomFlip', prob=0.)],
            [dict(type='Pad', size=(128, 128),
                  pad_val=dict(img=(114, 114, 114)))],
            [dict(type='LoadAnnotations', with_bbox=True)],
            [dict(type='PackDetInputs',
                  meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                             'scale_factor', 'flip', 'flip_direction',
                             'instances'))]
        ])
]
