# SSDLite + MobileNetV2 on Pascal VOC (07+12 trainval, VOC2007 test) trained
# with NetAug; differs from baseline_ssdlite_mbv2_voc.py only by NetAug (the
# same NetAug settings as netaug_ssdlite_mbv2.py).
_base_ = './baseline_ssdlite_mbv2_voc.py'

custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        type='mmnetaug.NetAugMobileNetV2',
        width_factors=(1.0, 1.8, 2.6),
        expand_factors=(1.0, 1.6, 2.2, 2.8),
        augment_outputs=True),
    neck=dict(
        type='mmnetaug.NetAugSSDNeck',
        width_factors=(1.0, 1.8, 2.6),
        augment_outputs=True),
    bbox_head=dict(
        type='mmnetaug.NetAugSSDHead', in_width_factors=(1.0, 1.8, 2.6)))
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
custom_hooks = [  # the stock hooks of the base config, plus NetAug's
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
    dict(
        type='mmnetaug.NetAugHook',
        width_stop_fraction=0.5,
        sort_channels=True,
        bn_policy='freeze_wide',
        recalibrate_images=1000)
]
