# The NetAug twin of baseline_yolo_mbv2_shapes.py: same task, model and
# schedule, NetAug loop and hook on top (backbone widened, as measured best
# on the demo).
_base_ = './baseline_yolo_mbv2_shapes.py'

model = dict(backbone=dict(type='mmnetaug.NetAugMobileNetV2'))
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
custom_hooks = [
    dict(
        type='mmnetaug.NetAugHook',
        width_stop_fraction=0.5,
        bn_policy='freeze_wide',
        recalibrate_images=200)
]
