# Demo: the NetAug twin of baseline_yolo_mbv2_demo.py (same data, model and
# schedule; NetAug loop and hook on top).
_base_ = './baseline_yolo_mbv2_demo.py'

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)
model = dict(backbone=dict(type='mmnetaug.NetAugMobileNetV2'))
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
custom_hooks = [
    dict(
        type='mmnetaug.NetAugHook',
        width_stop_fraction=0.5,
        bn_policy='freeze_wide',
        recalibrate_images=200)
]
