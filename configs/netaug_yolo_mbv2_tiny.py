# YOLOv3 + MobileNetV2 x0.35 on COCO (320 px) trained with NetAug; differs
# from baseline_yolo_mbv2_tiny.py only by NetAug.
_base_ = './baseline_yolo_mbv2_tiny.py'

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)
model = dict(backbone=dict(type='mmnetaug.NetAugMobileNetV2'))
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
custom_hooks = [dict(type='mmnetaug.NetAugHook', width_stop_fraction=0.5)]
