batch_size = 128
custom_imports = dict(
    allow_failed_imports=False, imports=[
        'mmnetaug',
    ])
data_root = '/usr/share/datasets/fashion-mnist'
default_hooks = dict(
    checkpoint=dict(interval=2, max_keep_ckpts=2, type='CheckpointHook'),
    logger=dict(interval=200, type='LoggerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    timer=dict(type='IterTimerHook'))
default_scope = 'mmdet'
env_cfg = dict(
    cudnn_benchmark=False,
    dist_cfg=dict(backend='nccl'),
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
img_size = 32
items = dict(
    data_root='/usr/share/datasets/fashion-mnist',
    img_size=32,
    item_size=28,
    mode='plain',
    pad=4,
    type='mmnetaug.FashionItemsDataset')
load_from = None
log_level = 'WARNING'
log_processor = dict(by_epoch=True, type='LogProcessor', window_size=50)
max_epochs = 20
model = dict(
    backbone=dict(out_indices=(7, ), type='MobileNetV2', widen_factor=0.35),
    data_preprocessor=dict(
        mean=[
            72.9,
            72.9,
            72.9,
        ],
        std=[
            90.0,
            90.0,
            90.0,
        ],
        type='ImgDataPreprocessor'),
    distill=dict(
        checkpoint=
        '/work/main/docs/results/pretrained/plain_items__32_px_teacher_w1.0_e128_s0.pth',
        config=
        '/work/main/docs/results/pretrained/plain_items__32_px_teacher_w1.0_e128_s0.py',
        temperature=1.0,
        weight=1.0),
    label_smoothing=0.1,
    num_classes=10,
    type='mmnetaug.TinyClassifier')
optim_wrapper = dict(
    optimizer=dict(
        lr=0.05, momentum=0.9, nesterov=True, type='SGD', weight_decay=4e-05),
    paramwise_cfg=dict(bias_decay_mult=0.0, norm_decay_mult=0.0))
param_scheduler = [
    dict(
        begin=0,
        by_epoch=True,
        convert_to_iter_based=True,
        end=1,
        start_factor=0.01,
        type='LinearLR'),
    dict(
        T_max=31,
        begin=1,
        by_epoch=True,
        convert_to_iter_based=True,
        end=32,
        eta_min=0.0,
        type='CosineAnnealingLR'),
]
randomness = dict(seed=2)
resume = False
teacher_checkpoint = 'work_dirs/teacher_mbv2_x1.0_fashion_cls/epoch_80.pth'
teacher_config = '/work/main/configs/fashion_cls/teacher_mbv2_x1.0_fashion_cls.py'
test_cfg = dict(type='TestLoop')
test_dataloader = dict(
    batch_size=500,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        data_root='/usr/share/datasets/fashion-mnist',
        img_size=32,
        item_size=28,
        mode='plain',
        pad=4,
        seed=1,
        test_mode=True,
        type='mmnetaug.FashionItemsDataset'),
    num_workers=0,
    sampler=dict(shuffle=False, type='DefaultSampler'))
test_evaluator = dict(type='mmnetaug.Top1Accuracy')
train_cfg = dict(max_epochs=32, type='EpochBasedTrainLoop', val_interval=8)
train_dataloader = dict(
    batch_size=128,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        data_root='/usr/share/datasets/fashion-mnist',
        img_size=32,
        item_size=28,
        mode='plain',
        pad=4,
        seed=0,
        type='mmnetaug.FashionItemsDataset'),
    num_workers=0,
    sampler=dict(shuffle=True, type='mmnetaug.FreshImagesSampler'))
val_cfg = dict(type='ValLoop')
val_dataloader = dict(
    batch_size=500,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        data_root='/usr/share/datasets/fashion-mnist',
        img_size=32,
        item_size=28,
        mode='plain',
        pad=4,
        seed=1,
        test_mode=True,
        type='mmnetaug.FashionItemsDataset'),
    num_workers=0,
    sampler=dict(shuffle=False, type='DefaultSampler'))
val_evaluator = dict(type='mmnetaug.Top1Accuracy')
vis_backends = [
    dict(type='LocalVisBackend'),
]
visualizer = dict(
    name='visualizer',
    type='Visualizer',
    vis_backends=[
        dict(type='LocalVisBackend'),
    ])
work_dir = '/work/pretrain_runs/plain_items__32_px_kd_w0.35_e32_s2'
