# RTMDet-tiny trained with NetAug on COCO 2017; differs from
# baseline_rtmdet_tiny_coco.py only by NetAug. The backbone alone is
# augmented (its outputs keep base width, so mmdet's CSPNeXtPAFPN and
# RTMDetSepBNHead read them), as in the project's other configs. The EMA
# copy that mmdet's recipe evaluates and deploys follows NetAug (sorting,
# base width, base BN statistics) and is what the hook exports.
_base_ = './baseline_rtmdet_tiny_coco.py'

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        type='mmnetaug.NetAugCSPNeXt',
        width_factors=(1.0, 1.8, 2.6),
        expand_factors=(1.0, 1.6, 2.2, 2.8)))
# keeps the twin's max_epochs, val_interval and dynamic_intervals
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
# the twin's hooks, restated (custom_hooks is a list), then NetAug's.
# NetAugHook (priority NORMAL) runs after EMAHook (49): at validation it
# sets base width on the EMA weights EMAHook has swapped in. switch_epoch is
# mmdet's max_epochs - stage2_num_epochs (300 - 20): mmengine substitutes
# base variables whole, not in expressions.
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExpMomentumEMA',
        momentum=0.0002,
        update_buffers=True,
        priority=49),
    dict(
        type='PipelineSwitchHook',
        switch_epoch=280,
        switch_pipeline={{_base_.train_pipeline_stage2}}),
    dict(
        type='mmnetaug.NetAugHook',
        width_stop_fraction=0.5,
        sort_channels=True,
        bn_policy='freeze_wide',
        recalibrate_images=1000)
]
