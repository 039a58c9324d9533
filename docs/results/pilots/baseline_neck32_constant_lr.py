# Pilot towards a converged regime (issue 10), baseline twin only, seed 0:
# the procedural task with a smaller neck/head (32 channels: 20M MACs, the
# backbone's share 52% instead of 21%) at a constant learning rate after the
# warm-up, validated every 25 epochs to see where the curve flattens.
#   python tools/train.py docs/results/pilots/baseline_neck32_constant_lr.py \
#       --cfg-options randomness.seed=0
_base_ = '../../../configs/procedural/baseline_yolo_mbv2_shapes.py'
max_epochs = 300
model = dict(
    neck=dict(out_channels=[32, 32, 32]),
    bbox_head=dict(in_channels=[32, 32, 32], out_channels=[32, 32, 32]))
train_cfg = dict(max_epochs=max_epochs, val_interval=25)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100)
]
default_hooks = dict(logger=dict(interval=200),
                     checkpoint=dict(interval=max_epochs))
