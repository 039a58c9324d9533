# The convergence check of the pilot regime (issue 10): the baseline twin of
# baseline_neck32_constant_lr.py with the benchmark's cosine schedule, at
# 125 epochs; the 2x run is this file with max_epochs = 250 (the variable
# is read when the file is parsed, so --cfg-options cannot change it). Seed 0.
#   python tools/train.py docs/results/pilots/baseline_neck32_cosine.py \
#       --cfg-options randomness.seed=0
_base_ = './baseline_neck32_constant_lr.py'
max_epochs = 125
train_cfg = dict(max_epochs=max_epochs, val_interval=25)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         eta_min=1e-4)
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
