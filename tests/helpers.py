"""Tiny training set-ups shared by the engine tests."""
import os.path as osp

from mmengine.config import Config

from mmnetaug.datasets import make_shapes_dataset

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_NETAUG = osp.join(ROOT, 'configs', 'demo', 'netaug_yolo_mbv2_demo.py')
DEMO_BASELINE = osp.join(ROOT, 'configs', 'demo',
                         'baseline_yolo_mbv2_demo.py')

PIPELINE = [  # deterministic: resume must reproduce the uninterrupted run
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(96, 96), keep_ratio=True),
    dict(type='PackDetInputs')
]


def shapes_data(root, num_train=16):
    return make_shapes_dataset(str(root), num_train=num_train, num_val=4,
                               seed=0, size=96)['root']


def tiny_cfg(data_root, work_dir, netaug=True, epochs=2, **overrides):
    """The demo config on a 16-image set, 96 px, constant LR."""
    cfg = Config.fromfile(DEMO_NETAUG if netaug else DEMO_BASELINE)
    root = str(data_root) + '/'
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.batch_size = 4
    cfg.train_dataloader.dataset.data_root = root
    cfg.train_dataloader.dataset.pipeline = PIPELINE
    cfg.train_dataloader.batch_sampler = None
    for key in ('val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = root
        cfg[key].batch_size = 4
    cfg.val_evaluator.ann_file = root + 'annotations/val.json'
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler = []
    cfg.optim_wrapper.optimizer = dict(type='SGD', lr=0.002, momentum=0.9,
                                       weight_decay=5e-4)
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=123)
    cfg.merge_from_dict(overrides)
    return cfg
