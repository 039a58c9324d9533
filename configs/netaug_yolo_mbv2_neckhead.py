# YOLOv3 + MobileNetV2 on COCO with NetAug widening backbone, neck and the
# head's hidden widths: the neck's outputs vary too, NetAugYOLOV3Head reads
# them and varies its bridge convs (prediction convs keep their outputs).
# Baseline twin: baseline_yolo_mbv2.py.
_base_ = './netaug_yolo_mbv2.py'

model = dict(
    backbone=dict(augment_outputs=True),
    neck=dict(
        type='mmnetaug.NetAugYOLOV3Neck',
        width_factors=(1.0, 1.8, 2.6),
        augment_outputs=True),
    bbox_head=dict(
        type='mmnetaug.NetAugYOLOV3Head',
        width_factors=(1.0, 1.8, 2.6),
        augment_head=True))
