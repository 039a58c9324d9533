# YOLOv3 + MobileNetV2 on Pascal VOC 07+12 trained with NetAug; differs from
# baseline_yolo_mbv2_voc.py only by NetAug.
_base_ = './baseline_yolo_mbv2_voc.py'

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)
model = dict(backbone=dict(type='mmnetaug.NetAugMobileNetV2'))
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
custom_hooks = [dict(type='mmnetaug.NetAugHook', width_stop_fraction=0.5)]
