# YOLOv3 + MobileNetV2 x0.35 (neck and head 32 channels) at 96 px on
# Fashion-MNIST items pasted on procedural backgrounds: 10 classes of real
# objects, some hard to tell apart (shirt, T-shirt, pullover, coat), 3-8
# per image at 14-40 px, drawn on the fly (new images every epoch; training
# pastes the train split, validation the test split, so validation objects
# are never seen). Width matters here, unlike on the procedural shapes: the
# task of the where-NetAug-pays study (benchmarks/study.py). Needs Debian's
# dataset-fashion-mnist (tools/install_deps.sh installs it as root) or
# data_root pointing at the four IDX files. Baseline twin of
# netaug_yolo_mbv2_fashion.py. max_epochs is the pilot's schedule unit S
# once chosen (docs/results/README.md); the study sets it per run.
_base_ = '../procedural/baseline_yolo_mbv2_shapes.py'

data_root = '/usr/share/datasets/fashion-mnist'
classes = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
metainfo = dict(classes=classes)
input_size = (96, 96)  # the base's pipelines resize to 96 px
objects = dict(num_objects=(3, 8), min_size=14, max_size=40)
images_per_epoch = 512
val_images = 1000  # a small validation set adds noise to every pair
max_epochs = 240  # S of this setting: the ladder fits ~30 core-hours

model = dict(
    neck=dict(out_channels=[32, 32, 32]),
    bbox_head=dict(
        num_classes=len(classes),
        in_channels=[32, 32, 32],
        out_channels=[32, 32, 32],
        anchor_generator=dict(base_sizes=[[(31, 31), (24, 38), (38, 24)],
                                          [(18, 18), (14, 22), (22, 14)],
                                          [(10, 10), (8, 12), (12, 8)]])))

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='mmnetaug.PastedObjectsDataset',
        num_images=images_per_epoch,
        seed=0,
        img_size=input_size[0],
        data_root=data_root,
        classes=classes,
        **objects,
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=32,
    dataset=dict(
        _delete_=True,
        type='mmnetaug.PastedObjectsDataset',
        num_images=val_images,
        seed=1,
        img_size=input_size[0],
        data_root=data_root,
        classes=classes,
        **objects,
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         eta_min=1e-4)
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
