# Shared part of the tiny-backbone YOLOv3 configs on COCO 2017: mmdet's
# YOLOv3-MobileNetV2 320 px recipe (300e schedule) with a 64-wide neck and
# head, as configs/baseline_yolo_mbv2_tiny.py. The per-backbone configs
# beside this file replace the backbone and the neck's input widths.
_base_ = 'mmdet::yolo/yolov3_mobilenetv2_8xb24-320-300e_coco.py'

# the tiny backbones are registered by mmnetaug (stock, non-NetAug layers)
custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)
model = dict(
    neck=dict(out_channels=[64, 64, 64]),
    bbox_head=dict(in_channels=[64, 64, 64], out_channels=[64, 64, 64]))
