# The wider twin of baseline_neck32_constant_lr.py (MobileNetV2 x0.5, neck
# and head 48 channels: 40M MACs): does capacity limit the x0.35 model once
# both have flattened?
_base_ = './baseline_neck32_constant_lr.py'
model = dict(
    backbone=dict(widen_factor=0.5),
    neck=dict(in_channels=[160, 48, 16], out_channels=[48, 48, 48]),
    bbox_head=dict(in_channels=[48, 48, 48], out_channels=[48, 48, 48]))
