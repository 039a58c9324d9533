# YOLOv3 + MobileNetV2 x0.35 at 96 px on the procedural shapes task: 3
# classes (square, disc, triangle; 20-56 px, up to 3 per image) drawn on the
# fly, new images every epoch (FreshImagesSampler), so the detector cannot
# overfit and, being tiny, underfits. Nothing to download or generate
# beforehand. The demo's model and AdamW/cosine schedule, 50 epochs of 512
# images: the accuracy benchmark's regime, chosen so that a run fits in
# minutes on one CPU core while the baseline gets close to converged (see
# README, Results). Baseline twin of netaug_yolo_mbv2_shapes.py;
# benchmarks/accuracy.py runs both.
_base_ = '../demo/baseline_yolo_mbv2_demo.py'

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)

data_root = None  # images are drawn in memory
classes = ('square', 'disc', 'triangle')
metainfo = dict(classes=classes)
input_size = (96, 96)
object_sizes = dict(min_size=20, max_size=56, max_objects=3)
images_per_epoch = 512
val_images = 200
max_epochs = 50

model = dict(
    bbox_head=dict(
        num_classes=len(classes),
        anchor_generator=dict(base_sizes=[[(43, 43), (36, 50), (50, 36)],
                                          [(24, 24), (20, 29), (29, 20)],
                                          [(12, 12), (10, 14), (14, 10)]])))

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
    sampler=dict(_delete_=True, type='mmnetaug.FreshImagesSampler',
                 shuffle=False),
    batch_sampler=None,
    dataset=dict(
        _delete_=True,
        type='mmnetaug.ProceduralShapesDataset',
        num_images=images_per_epoch,
        seed=0,
        img_size=input_size[0],
        classes=classes,
        **object_sizes,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='mmnetaug.ProceduralShapesDataset',
        num_images=val_images,
        seed=1,
        img_size=input_size[0],
        classes=classes,
        **object_sizes,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='CocoMetric', metric='bbox',
                     ann_file=None)
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         eta_min=1e-4)
]
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=max_epochs))
