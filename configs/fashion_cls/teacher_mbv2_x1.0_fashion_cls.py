# The KD teacher: MobileNetV2 x1.0 on the same task and recipe (the study
# trains it at 4x the student's schedule). kd_*_fashion_cls.py read its
# config and checkpoint.
_base_ = './baseline_mbv2_fashion_cls.py'

model = dict(backbone=dict(widen_factor=1.0))
