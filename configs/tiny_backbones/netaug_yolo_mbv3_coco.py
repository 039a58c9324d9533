# YOLOv3 + MobileNetV3-Large x0.35 on COCO 2017 (320 px) trained with NetAug;
# differs from baseline_yolo_mbv3_coco.py only by NetAug. The factor lists are
# the reference's for this model; export gives the baseline architecture.
_base_ = [
    './baseline_yolo_mbv3_coco.py',
    '../_base_/default_netaug_hook.py',
]

model = dict(
    backbone=dict(
        type='mmnetaug.NetAugMobileNetV3Large',
        width_factors=(1.0, 2.0, 3.0),
        expand_factors=(1.0, 1.6, 2.2, 2.8)))
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
