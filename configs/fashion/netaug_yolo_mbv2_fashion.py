# The NetAug twin of baseline_yolo_mbv2_fashion.py: same task, model and
# schedule; the backbone trains also as the leading slice of one sampled
# wider backbone per step (widths x{1, 1.8, 2.6}: the widest is about
# MobileNetV2 x1.0, the study's wide baseline).
_base_ = ['./baseline_yolo_mbv2_fashion.py',
          '../_base_/default_netaug_hook.py']

model = dict(
    backbone=dict(
        type='mmnetaug.NetAugMobileNetV2',
        width_factors=(1.0, 1.8, 2.6),
        expand_factors=(1.0, 1.6, 2.2, 2.8)))
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
