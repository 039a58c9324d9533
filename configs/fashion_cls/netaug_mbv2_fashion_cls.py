# The NetAug twin of baseline_mbv2_fashion_cls.py: the backbone trains also
# as the leading slice of one sampled wider backbone per step, every layer
# augmented as in the reference's ImageNet training (stages x{1, 1.8, 2.6},
# hidden widths x{1, 1.6, 2.2, 2.8}, the final 1x1 conv too: the linear
# layer reads its leading features). The whole supernet hands off to a
# NetAug detection backbone; its export (work_dir/export/) to the baseline
# twin of a detector.
_base_ = ['./baseline_mbv2_fashion_cls.py',
          '../_base_/default_netaug_hook.py']

model = dict(
    backbone=dict(
        type='mmnetaug.NetAugMobileNetV2',
        width_factors=(1.0, 1.8, 2.6),
        expand_factors=(1.0, 1.6, 2.2, 2.8),
        augment_outputs=True))
train_cfg = dict(type='mmnetaug.NetAugTrainLoop', aug_loss_weight=1.0)
