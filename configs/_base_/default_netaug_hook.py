# NetAugHook as the NetAug configs run it (its default settings, spelled
# out): width augmentation stops half way through training, as in the
# reference; hidden channels are sorted by importance before each epoch
# while widths are augmented; the wide pass leaves the running BN statistics
# to the base network ('freeze_wide'; recalibrate_images only counts for
# bn_policy='recalibrate'). For NetAug configs whose baseline twin has no
# custom_hooks of its own; inherit it next to the twin:
#   _base_ = ['./baseline_yolo_mbv2.py', './_base_/default_netaug_hook.py']
# The NetAug train loop cannot live here: every baseline sets train_cfg, and
# mmengine refuses a key that two bases of one config both set.
custom_hooks = [
    dict(
        type='mmnetaug.NetAugHook',
        width_stop_fraction=0.5,
        sort_channels=True,
        bn_policy='freeze_wide',
        recalibrate_images=1000)
]
