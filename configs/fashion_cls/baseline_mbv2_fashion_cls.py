# MobileNetV2 x0.35 as a Fashion-MNIST classifier: the pretraining of the
# backbone that configs/fashion/ fine-tunes as a detector (same layout, so
# its weights hand off with init_cfg=dict(type='Pretrained',
# prefix='backbone.')). 28 px items padded to 32 px; training shifts them by
# up to 4 px and flips them (new draws every epoch); validation on the
# unseen test split. Plain SGD recipe after the reference's: Nesterov,
# label smoothing 0.1, weight decay 4e-5 (none on biases and norms), one
# warm-up epoch, cosine. Baseline twin of netaug_mbv2_fashion_cls.py; the
# pretraining study (benchmarks/studies) sets widths and schedules per run.
# Needs Debian's dataset-fashion-mnist (tools/install_deps.sh installs it
# as root) or data_root pointing at the four IDX files.
default_scope = 'mmdet'
custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)

data_root = '/usr/share/datasets/fashion-mnist'
img_size = 32
max_epochs = 20
batch_size = 128

model = dict(
    type='mmnetaug.TinyClassifier',
    backbone=dict(type='MobileNetV2', widen_factor=0.35, out_indices=(7, )),
    num_classes=10,
    label_smoothing=0.1,
    data_preprocessor=dict(
        type='ImgDataPreprocessor', mean=[72.9] * 3, std=[90.0] * 3))

items = dict(type='mmnetaug.FashionItemsDataset', mode='plain',
             img_size=img_size, item_size=28, pad=4, data_root=data_root)
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=0,
    sampler=dict(type='mmnetaug.FreshImagesSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(**items, seed=0))
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(**items, seed=1, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmnetaug.Top1Accuracy')
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, nesterov=True,
                   weight_decay=4e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs,
         T_max=max_epochs - 1, eta_min=0.0, convert_to_iter_based=True)
]

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(cudnn_benchmark=False,
               mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
# one global name, as mmdet's and mmpretrain's runtimes: mmengine hands the
# latest visualizer to hooks by name, across runners of one process
visualizer = dict(type='Visualizer', vis_backends=vis_backends,
                  name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
