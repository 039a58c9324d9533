# YOLOX-nano at 96 px on Fashion-MNIST items pasted on procedural backgrounds
# (the task of baseline_yolo_mbv2_fashion.py: 10 classes, 3-8 items of
# 14-40 px per image, new training images every epoch, validation on items
# of the test split). mmdet's YOLOX recipe at the small input: Mosaic and
# RandomAffine through MultiImageMixDataset, YOLOXHSVRandomAug, flips,
# multi-scale batches (64 or 96 px, as YOLOX-tiny's 320-640 at 640),
# YOLOXModeSwitchHook for the last 15 epochs, SyncNormHook and EMA. Mosaic
# draws its three partner images from the main image's epoch, new ones too
# (mmnetaug.FreshMultiImageMixDataset; the issue-19 runs in
# docs/results/ladder.json predate it: their partners were the first
# epoch's images).
# AdamW as the other small-input configs here (the stock SGD learned these
# from-scratch models far slower; see configs/demo). Not tuned or trained
# here yet. Baseline twin of netaug_yolox_nano_fashion.py; needs
# dataset-fashion-mnist as baseline_yolo_mbv2_fashion.py does.
_base_ = '../yolox/baseline_yolox_nano.py'

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)

data_root = '/usr/share/datasets/fashion-mnist'
classes = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
metainfo = dict(classes=classes)
img_scale = (96, 96)  # width, height
objects = dict(num_objects=(3, 8), min_size=14, max_size=40)
images_per_epoch = 512
val_images = 1000
max_epochs = 240  # the fashion schedule unit S
num_last_epochs = 15
base_lr = 0.002

model = dict(
    data_preprocessor=dict(batch_augments=[
        dict(
            type='BatchSyncRandomResize',
            random_size_range=(64, 96),
            size_divisor=32,
            interval=10)
    ]),
    bbox_head=dict(num_classes=len(classes)))

train_pipeline = [
    dict(type='Mosaic', img_scale=img_scale, pad_val=114.0),
    dict(
        type='RandomAffine',
        scaling_ratio_range=(0.5, 1.5),
        border=(-img_scale[0] // 2, -img_scale[1] // 2)),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5),
    # Resize and Pad are for the last epochs, when YOLOXModeSwitchHook
    # turns Mosaic and RandomAffine off
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(
        type='Pad',
        pad_to_square=True,
        pad_val=dict(img=(114.0, 114.0, 114.0))),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=False),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromNDArray'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(
        type='Pad',
        pad_to_square=True,
        pad_val=dict(img=(114.0, 114.0, 114.0))),
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
    sampler=dict(
        _delete_=True, type='mmnetaug.FreshImagesSampler', shuffle=False),
    dataset=dict(
        _delete_=True,
        type='mmnetaug.FreshMultiImageMixDataset',
        dataset=dict(
            type='mmnetaug.PastedObjectsDataset',
            num_images=images_per_epoch,
            seed=0,
            img_size=img_scale[0],
            data_root=data_root,
            classes=classes,
            **objects,
            pipeline=[
                dict(type='LoadImageFromNDArray'),
                dict(type='LoadAnnotations', with_bbox=True)
            ]),
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

train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True, type='AdamW', lr=base_lr, weight_decay=0.05))
# mmdet's YOLOX schedule: quadratic warm-up for 5 epochs, cosine, then a
# constant LR while the mode switch is on
param_scheduler = [
    dict(
        type='mmdet.QuadraticWarmupLR',
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=base_lr * 0.05,
        begin=5,
        T_max=max_epochs - num_last_epochs,
        end=max_epochs - num_last_epochs,
        by_epoch=True,
        convert_to_iter_based=True),
    dict(
        type='ConstantLR',
        by_epoch=True,
        factor=1,
        begin=max_epochs - num_last_epochs,
        end=max_epochs)
]
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=max_epochs))
custom_hooks = [
    dict(
        type='YOLOXModeSwitchHook',
        num_last_epochs=num_last_epochs,
        priority=48),
    dict(type='SyncNormHook', priority=48),
    dict(
        type='EMAHook',
        ema_type='ExpMomentumEMA',
        momentum=0.0001,
        update_buffers=True,
        priority=49)
]
auto_scale_lr = dict(base_batch_size=8)

# mmdet's YOLOX TTA (3 scales x flip) on the images this dataset draws in
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
            [dict(type='Pad', pad_to_square=True,
                  pad_val=dict(img=(114.0, 114.0, 114.0)))],
            [dict(type='LoadAnnotations', with_bbox=True)],
            [dict(type='PackDetInputs',
                  meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                             'scale_factor', 'flip', 'flip_direction',
                             'instances'))]
        ])
]
