# YOLOX-nano trained with NetAug on COCO 2017; differs from
# baseline_yolox_nano.py only by NetAug. The backbone alone is augmented
# (its outputs keep base width, so mmdet's YOLOXPAFPN reads them), as in the
# project's other configs. The EMA copy that mmdet's recipe evaluates and
# deploys follows NetAug (sorting, base width, base BN statistics) and is
# what the hook exports.
_base_ = './baseline_yolox_nano.py'

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        type='mmnetaug.NetAugCSPDarknet',
        width_factors=(1.0, 1.8, 2.6),
        expand_factors=(1.0, 1.6, 2.2, 2.8)))
# keeps the twin's max_epochs and val_interval
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
# the twin's hooks, restated (custom_hooks is a list), then NetAug's.
# NetAugHook (priority NORMAL) runs after EMAHook (49): at validation it
# sets base width on the EMA weights EMAHook has swapped in.
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
