# baseline_mbv2_fashion_cls.py with knowledge distillation from the x1.0
# teacher (teacher_mbv2_x1.0_fashion_cls.py, trained first): the label loss
# plus the KL divergence to the teacher's softened logits. Point
# teacher_checkpoint at the trained teacher, e.g. --cfg-options
# model.distill.checkpoint=work_dirs/teacher_mbv2_x1.0_fashion_cls/epoch_80.pth
_base_ = './baseline_mbv2_fashion_cls.py'

teacher_config = '{{ fileDirname }}/teacher_mbv2_x1.0_fashion_cls.py'
teacher_checkpoint = 'work_dirs/teacher_mbv2_x1.0_fashion_cls/epoch_80.pth'
model = dict(
    distill=dict(config=teacher_config, checkpoint=teacher_checkpoint,
                 temperature=1.0, weight=1.0))
