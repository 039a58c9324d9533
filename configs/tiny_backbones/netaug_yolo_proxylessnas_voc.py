# YOLOv3 + ProxylessNAS-Mobile x0.35 on Pascal VOC 07+12 (320 px) trained with
# NetAug; differs from baseline_yolo_proxylessnas_voc.py only by NetAug. The
# factor lists are the reference's for this model; export gives the baseline
# architecture.
_base_ = [
    './baseline_yolo_proxylessnas_voc.py',
    '../_base_/default_netaug_hook.py',
]

model = dict(
    backbone=dict(
        type='mmnetaug.NetAugProxylessNASMobile',
        width_factors=(1.0, 1.8, 2.6),
        expand_factors=(1.0, 1.6, 2.2, 2.8)))
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
