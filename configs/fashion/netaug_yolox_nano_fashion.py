# The NetAug twin of baseline_yolox_nano_fashion.py: same task, model, recipe
# and schedule; the backbone trains also as the leading slice of one sampled
# wider CSPDarknet per step, and the EMA copy follows NetAug (see
# configs/yolox/netaug_yolox_nano.py).
_base_ = './baseline_yolox_nano_fashion.py'

model = dict(
    backbone=dict(
        type='mmnetaug.NetAugCSPDarknet',
        width_factors=(1.0, 1.8, 2.6),
        expand_factors=(1.0, 1.6, 2.2, 2.8)))
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
custom_hooks = [
    dict(
        type='YOLOXModeSwitchHook',
        num_last_epochs={{_base_.num_last_epochs}},
        priority=48),
    dict(type='SyncNormHook', priority=48),
    dict(
        type='EMAHook',
        ema_type='ExpMomentumEMA',
        momentum=0.0001,
        update_buffers=True,
        priority=49),
    dict(
        type='mmnetaug.NetAugHook',
        width_stop_fraction=0.5,
        sort_channels=True,
        bn_policy='freeze_wide',
        recalibrate_images=1000)
]
