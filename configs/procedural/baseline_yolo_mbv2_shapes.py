# YOLOv3 + MobileNetV2 x0.35 at 160 px on the procedural shapes task: 5
# classes drawn on the fly, new images every epoch (FreshImagesSampler), so
# the detector cannot overfit and, being tiny, underfits. Nothing to
# download or generate beforehand. The demo's model and schedule (6 epochs,
# AdamW, cosine) with this data. Baseline twin of
# netaug_yolo_mbv2_shapes.py; benchmarks/accuracy.py runs both.
_base_ = '../demo/baseline_yolo_mbv2_demo.py'

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)

data_root = None  # images are drawn in memory
metainfo = dict(classes=('square', 'disc', 'triangle', 'star', 'ring'))
input_size = (160, 160)
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

default_hooks = dict(logger=dict(interval=20))
