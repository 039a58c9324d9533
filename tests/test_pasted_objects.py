"""PastedObjectsDataset: real items pasted on procedural backgrounds, from
tiny IDX files the tests write themselves (the suite never needs Debian's
dataset-fashion-mnist)."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmnetaug.datasets import (FASHION_MNIST_CLASSES, PastedObjectsDataset,
                               draw_background, draw_pasted_image, read_idx)
from mmnetaug.utils.dataset_check import check_datasets
from helpers import rect_items, write_fashion_root, write_idx

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture
def fashion_root(tmp_path):
    """Train items of classes 0 and 1 (gzipped), test items of class 2
    (raw): the splits can be told apart by their labels."""
    train = rect_items([0, 1] * 6, [20, 10] * 6, [10, 20] * 6)
    test = rect_items([2] * 4, [16] * 4, [16] * 4)
    return write_fashion_root(str(tmp_path / 'fashion'), train, test)


def test_read_idx_round_trip_and_truncation(tmp_path):
    data = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = str(tmp_path / 'x-idx3-ubyte')
    write_idx(path, data, gz=False)
    np.testing.assert_array_equal(read_idx(path), data)
    with open(path, 'rb') as f:
        raw = f.read()
    with open(path, 'wb') as f:
        f.write(raw[:-3])
    with pytest.raises(ValueError, match='truncated'):
        read_idx(path)


def test_boxes_are_tight_on_the_pasted_pixels():
    items, labels = rect_items([0, 1, 2], [20, 8, 14], [8, 20, 14])
    for index in range(20):
        kwargs = dict(size=96, num_objects=(3, 6), min_size=14, max_size=40,
                      noise_sigma=(0.0, 0.0))
        img, instances = draw_pasted_image(
            np.random.default_rng([5, index]), items, labels, **kwargs)
        # the same draws without objects: the background alone
        background = draw_background(np.random.default_rng([5, index]), 96)
        changed = np.abs(img.astype(int) - background).sum(2) > 0
        assert instances and changed.any()
        covered = np.zeros_like(changed)
        for inst in instances:
            x1, y1, x2, y2 = (int(v) for v in inst['bbox'])
            assert inst['bbox'] == [float(v) for v in (x1, y1, x2, y2)]
            inside = changed[y1:y2, x1:x2]
            # tight: every border row and column of the box was painted
            assert inside[0].any() and inside[-1].any()
            assert inside[:, 0].any() and inside[:, -1].any()
            # the aspect of the item survives (tall, wide or square)
            h, w = y2 - y1, x2 - x1
            expected = {0: 20 / 8, 1: 8 / 20, 2: 1.0}[inst['bbox_label']]
            assert h / w == pytest.approx(expected, rel=0.25)
            covered[y1:y2, x1:x2] = True
        assert not (changed & ~covered).any()  # nothing painted elsewhere


def test_dataset_draws_from_seed_and_index_and_splits(fashion_root):
    train = PastedObjectsDataset(num_images=8, seed=0, img_size=64,
                                 num_objects=(2, 4), min_size=10,
                                 max_size=30, data_root=fashion_root)
    again = PastedObjectsDataset(num_images=8, seed=0, img_size=64,
                                 num_objects=(2, 4), min_size=10,
                                 max_size=30, data_root=fashion_root)
    a, b = train.get_data_info(100), again.get_data_info(100)
    np.testing.assert_array_equal(a['img'], b['img'])
    assert a['instances'] == b['instances']
    assert not np.array_equal(a['img'], train.get_data_info(101)['img'])
    assert 2 <= len(a['instances']) <= 4
    train_labels = {i['bbox_label'] for k in range(20)
                    for i in train.get_data_info(k)['instances']}
    assert train_labels == {0, 1}  # T-shirt/top and Trouser items only
    val = PastedObjectsDataset(num_images=4, seed=1, img_size=64,
                               min_size=10, max_size=30,
                               data_root=fashion_root, test_mode=True)
    val_labels = {i['bbox_label'] for k in range(10)
                  for i in val.get_data_info(k)['instances']}
    assert val_labels == {2}  # the test split's Pullover items
    assert val.metainfo['classes'] == FASHION_MNIST_CLASSES


def test_class_subset_relabels(fashion_root):
    ds = PastedObjectsDataset(num_images=4, img_size=64, min_size=10,
                              max_size=30, data_root=fashion_root,
                              classes=('Trouser', ))
    labels = {i['bbox_label'] for k in range(10)
              for i in ds.get_data_info(k)['instances']}
    assert labels == {0}
    assert ds.metainfo['classes'] == ('Trouser', )
    with pytest.raises(ValueError, match='has no item'):
        PastedObjectsDataset(num_images=4, img_size=64, min_size=10,
                             max_size=30, data_root=fashion_root,
                             classes=('Bag', )).get_data_info(0)


def test_missing_path_names_it_and_the_package(tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError) as err:
        PastedObjectsDataset(num_images=4, data_root=missing)
    assert missing in str(err.value)
    assert 'apt-get install dataset-fashion-mnist' in str(err.value)
    # the tools' start-up check says the same before anything is built
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs/fashion/baseline_yolo_mbv2_fashion.py'))
    cfg.val_dataloader.dataset.data_root = missing
    with pytest.raises(FileNotFoundError, match='val_dataloader: .*nowhere'):
        check_datasets(cfg)


@pytest.mark.parametrize('kwargs, field', [
    (dict(num_objects=(3, 2)), 'num_objects'),
    (dict(min_size=50, max_size=40), 'min_size'),
    (dict(classes=('Sock', )), 'classes'),
    (dict(split='val'), 'split'),
])
def test_bad_settings_name_the_field(fashion_root, kwargs, field):
    with pytest.raises(ValueError, match=field):
        PastedObjectsDataset(num_images=4, data_root=fashion_root, **kwargs)


@pytest.mark.parametrize('name', ['baseline', 'netaug'])
def test_fashion_configs_train_and_validate(fashion_root, tmp_path, name):
    """The twins of configs/fashion/ train on fresh images (the sampler
    moves on each epoch) and validate with CocoMetric, on tiny data."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(osp.join(
        ROOT, f'configs/fashion/{name}_yolo_mbv2_fashion.py'))
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = fashion_root
        cfg[loader].dataset.num_images = 4
        cfg[loader].batch_size = 2
    cfg.train_cfg.max_epochs = 2
    cfg.train_cfg.val_interval = 2
    cfg.param_scheduler = []
    cfg.work_dir = str(tmp_path / name)
    cfg.default_hooks.checkpoint.interval = 2
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if not h['type'].endswith('NetAugHook')] + (
        [dict(type='mmnetaug.NetAugHook', export=False)]
        if name == 'netaug' else [])
    seen = []
    runner = Runner.from_cfg(cfg)
    sampler = runner.train_dataloader.sampler
    for epoch in range(2):
        sampler.set_epoch(epoch)
        seen.append(sorted(sampler))
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7]]
    runner.train()
    assert runner.iter == 4
    assert runner.message_hub.get_scalar('train/loss').current() > 0
