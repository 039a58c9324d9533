# YOLOX-tiny at 96 px on pasted Fashion-MNIST: baseline_yolox_nano_fashion.py
# with mmdet's YOLOX-tiny widths (CSPDarknet x0.375, plain convs, neck and
# head 96). Baseline twin of netaug_yolox_tiny_fashion.py.
_base_ = './baseline_yolox_nano_fashion.py'

model = dict(
    backbone=dict(widen_factor=0.375, use_depthwise=False),
    neck=dict(in_channels=[96, 192, 384], out_channels=96,
              use_depthwise=False),
    bbox_head=dict(in_channels=96, feat_channels=96, use_depthwise=False))
