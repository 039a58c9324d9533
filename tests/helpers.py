"""Tiny training set-ups shared by the engine tests."""
import gzip
import importlib.util
import os
import os.path as osp

import numpy as np
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


def write_idx(path, array, gz):
    """An IDX file of unsigned bytes, as Fashion-MNIST ships them."""
    header = bytes([0, 0, 0x08, array.ndim]) + b''.join(
        int(n).to_bytes(4, 'big') for n in array.shape)
    opener = gzip.open if gz else open
    with opener(path + ('.gz' if gz else ''), 'wb') as f:
        f.write(header + array.astype(np.uint8).tobytes())


def rect_items(labels, heights, widths):
    """28x28 items, each a filled rectangle (intensity 255) of known size
    centred on a dark margin."""
    items = np.zeros((len(labels), 28, 28), np.uint8)
    for i, (h, w) in enumerate(zip(heights, widths)):
        y, x = (28 - h) // 2, (28 - w) // 2
        items[i, y:y + h, x:x + w] = 255
    return items, np.asarray(labels, np.uint8)


def write_fashion_root(root, train, test, gz=(True, False)):
    """A Fashion-MNIST folder of the given (items, labels) splits."""
    os.makedirs(root, exist_ok=True)
    for (images, labels), prefix, zipped in ((train, 'train', gz[0]),
                                             (test, 't10k', gz[1])):
        write_idx(osp.join(root, f'{prefix}-images-idx3-ubyte'), images,
                  zipped)
        write_idx(osp.join(root, f'{prefix}-labels-idx1-ubyte'), labels,
                  zipped)
    return root


def load_tool(name):
    """``tools/<name>.py`` as a module (its ``main(argv)`` runs in-process)."""
    spec = importlib.util.spec_from_file_location(
        f'_tools_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
