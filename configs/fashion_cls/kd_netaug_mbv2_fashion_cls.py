# KD + NetAug (the paper's best models): netaug_mbv2_fashion_cls.py with
# the x1.0 teacher of kd_mbv2_fashion_cls.py supervising the base pass (the
# wide pass learns from labels; model.distill.wide=True distils into it
# too). Point the checkpoint at the trained teacher as there.
_base_ = './netaug_mbv2_fashion_cls.py'

teacher_config = '{{ fileDirname }}/teacher_mbv2_x1.0_fashion_cls.py'
teacher_checkpoint = 'work_dirs/teacher_mbv2_x1.0_fashion_cls/epoch_80.pth'
model = dict(
    distill=dict(config=teacher_config, checkpoint=teacher_checkpoint,
                 temperature=1.0, weight=1.0, wide=False))
