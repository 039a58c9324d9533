# YOLOv3 + MobileNetV2 on COCO with NetAug widening the backbone and the
# neck: the backbone's output stages vary in width and NetAugYOLOV3Neck
# reads them; the neck's outputs stay at base width, so the head is the
# stock YOLOV3Head. Baseline twin: baseline_yolo_mbv2.py.
_base_ = './netaug_yolo_mbv2.py'

model = dict(
    backbone=dict(augment_outputs=True),
    neck=dict(
        type='mmnetaug.NetAugYOLOV3Neck',
        width_factors=(1.0, 1.8, 2.6),
        augment_outputs=False))
