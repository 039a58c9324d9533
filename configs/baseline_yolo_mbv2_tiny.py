# YOLOv3 + MobileNetV2 x0.35 on COCO (320 px): the paper's tiny regime, stock
# mmdet types. Baseline twin of netaug_yolo_mbv2_tiny.py.
_base_ = './baseline_yolo_mbv2.py'

model = dict(
    backbone=dict(widen_factor=0.35),
    neck=dict(in_channels=[112, 32, 16], out_channels=[64, 64, 64]),
    bbox_head=dict(in_channels=[64, 64, 64], out_channels=[64, 64, 64]))
