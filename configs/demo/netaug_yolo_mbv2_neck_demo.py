# Demo with NetAug widening backbone and neck (the neck's outputs stay at
# base width, so the head is stock). Baseline twin: baseline_yolo_mbv2_demo.py.
_base_ = './netaug_yolo_mbv2_demo.py'

model = dict(
    backbone=dict(augment_outputs=True),
    neck=dict(
        type='mmnetaug.NetAugYOLOV3Neck',
        width_factors=(1.0, 1.8, 2.6),
        augment_outputs=False))
