# RTMDet-tiny on Pascal VOC 07+12 trained with NetAug; differs from
# baseline_rtmdet_tiny_voc.py only by NetAug (backbone augmented, EMA copy
# kept in step; see netaug_rtmdet_tiny_coco.py).
_base_ = './baseline_rtmdet_tiny_voc.py'

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        type='mmnetaug.NetAugCSPNeXt',
        width_factors=(1.0, 1.8, 2.6),
        expand_factors=(1.0, 1.6, 2.2, 2.8)))
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExpMomentumEMA',
        momentum=0.0002,
        update_buffers=True,
        priority=49),
    dict(
        type='PipelineSwitchHook',
        switch_epoch=280,  # 300 - 20, as the twin's
        switch_pipeline={{_base_.train_pipeline_stage2}}),
    dict(
        type='mmnetaug.NetAugHook',
        width_stop_fraction=0.5,
        sort_channels=True,
        bn_policy='freeze_wide',
        recalibrate_images=1000)
]
