# YOLOv3 + MobileNetV2 trained with NetAug on COCO 2017 (320 px, mmdet's
# 300e schedule). Differs from baseline_yolo_mbv2.py only by NetAug.
_base_ = ['./baseline_yolo_mbv2.py', './_base_/default_netaug_hook.py']

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        type='mmnetaug.NetAugMobileNetV2',
        width_factors=(1.0, 1.8, 2.6),
        expand_factors=(1.0, 1.6, 2.2, 2.8)))
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
