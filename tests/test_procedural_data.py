"""The procedural shapes task: deterministic images, fresh every epoch,
evaluated by CocoMetric without an annotation file."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmnetaug.datasets import (PROCEDURAL_CLASSES,
                               PROCEDURAL_DEFAULT_CLASSES, FreshImagesSampler,
                               ProceduralShapesDataset)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CFG = osp.join(ROOT, 'configs', 'procedural', 'baseline_yolo_mbv2_shapes.py')


def test_images_depend_only_on_seed_and_index():
    a = ProceduralShapesDataset(8, seed=0).get_data_info(5)
    b = ProceduralShapesDataset(8, seed=0).get_data_info(5)
    other_index = ProceduralShapesDataset(8, seed=0).get_data_info(6)
    other_seed = ProceduralShapesDataset(8, seed=1).get_data_info(5)
    assert np.array_equal(a['img'], b['img'])
    assert a['instances'] == b['instances']
    assert not np.array_equal(a['img'], other_index['img'])
    assert not np.array_equal(a['img'], other_seed['img'])


def test_boxes_lie_in_the_image_and_labels_in_range():
    ds = ProceduralShapesDataset(4, seed=3, img_size=96, min_size=8,
                                 max_size=40, classes=PROCEDURAL_CLASSES)
    labels = set()
    for idx in range(200):  # any index, far beyond len(ds)
        info = ds.get_data_info(idx)
        assert info['img'].shape == (96, 96, 3)
        assert 1 <= len(info['instances']) <= 4
        for inst in info['instances']:
            x1, y1, x2, y2 = inst['bbox']
            assert 0 <= x1 < x2 <= 96 and 0 <= y1 < y2 <= 96
            assert x2 - x1 >= 4 and y2 - y1 >= 4
            labels.add(inst['bbox_label'])
    assert labels == set(range(len(PROCEDURAL_CLASSES)))


@pytest.mark.parametrize('kwargs, field', [
    (dict(num_images=0), 'num_images'),
    (dict(num_images=4, min_size=50, max_size=40), 'min_size'),
    (dict(num_images=4, max_size=200), 'max_size'),
    (dict(num_images=4, classes=('disc', 'hexagon')), 'classes'),
    (dict(num_images=4, classes=('disc', 'disc')), 'classes'),
])
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        ProceduralShapesDataset(**kwargs)


def _shards(sampler, world_size, epoch):
    out = []
    for rank in range(world_size):
        sampler.rank, sampler.world_size = rank, world_size
        sampler.num_samples = len(sampler.dataset) // world_size
        sampler.total_size = sampler.num_samples * world_size
        sampler.set_epoch(epoch)
        out.append(list(sampler))
    return out


def test_every_epoch_and_rank_gets_new_images():
    ds = ProceduralShapesDataset(6)
    sampler = FreshImagesSampler(ds, shuffle=True, seed=0)
    epoch0 = _shards(sampler, 2, 0)
    epoch1 = _shards(sampler, 2, 1)
    assert set(epoch0[0]).isdisjoint(epoch0[1])
    assert sorted(epoch0[0] + epoch0[1]) == list(range(6))
    assert sorted(epoch1[0] + epoch1[1]) == list(range(6, 12))
    assert _shards(sampler, 2, 1) == epoch1  # resume sees the same images


@pytest.mark.parametrize('epoch', [0, 2])
def test_mosaic_partners_come_from_the_main_images_epoch(epoch):
    """FreshMultiImageMixDataset: Mosaic's three partners are drawn from
    the same epoch's block of indices as the main image (mmdet's wrapper
    draws them from the first epoch's, range(len))."""
    from mmdet.registry import DATASETS
    import mmnetaug  # noqa: F401
    init_default_scope('mmdet')
    mixed = DATASETS.build(dict(
        type='mmnetaug.FreshMultiImageMixDataset',
        dataset=dict(type='mmnetaug.ProceduralShapesDataset', num_images=5,
                     img_size=64, max_size=40, pipeline=[
                         dict(type='LoadImageFromNDArray'),
                         dict(type='LoadAnnotations', with_bbox=True)]),
        pipeline=[dict(type='Mosaic', img_scale=(64, 64)),
                  dict(type='PackDetInputs')]))
    inner = mixed.dataset.dataset
    asked = []
    get = type(inner).__getitem__
    type(inner).__getitem__ = lambda self, i: asked.append(i) or get(self, i)
    try:
        sample = mixed[epoch * 5 + 3]
    finally:
        type(inner).__getitem__ = get
    assert sample['inputs'].shape[-2:] == (128, 128)  # a mosaic of four
    assert asked[0] == epoch * 5 + 3 and len(asked) == 4
    assert all(epoch * 5 <= i < (epoch + 1) * 5 for i in asked)
    assert len(mixed) == 5


def test_config_evaluates_without_annotation_file():
    """Ground truth fed back as predictions scores mAP 1.0: the val
    pipeline carries 'instances' to CocoMetric intact."""
    from mmdet.registry import DATASETS, METRICS
    import mmnetaug  # noqa: F401
    cfg = Config.fromfile(CFG)
    init_default_scope('mmdet')
    val = cfg.val_dataloader.dataset
    val.num_images = 6
    dataset = DATASETS.build(val)
    metric = METRICS.build(cfg.val_evaluator)
    metric.dataset_meta = dataset.metainfo
    for idx in range(len(dataset)):
        sample = dataset[idx]['data_samples']
        gt = sample.gt_instances
        pred = sample.clone()
        pred.pred_instances = gt.clone()
        pred.pred_instances.scores = torch.ones(len(gt))
        metric.process({}, [pred.to_dict()])
    assert dataset.metainfo['classes'] == tuple(cfg.classes)
    assert set(cfg.classes) <= set(PROCEDURAL_DEFAULT_CLASSES)
    assert cfg.model.bbox_head.num_classes == len(cfg.classes)
    assert metric.evaluate(len(dataset))['coco/bbox_mAP'] == 1.0


def test_training_sees_new_images_every_epoch(tmp_path):
    """Through mmengine's loop (set_epoch by DistSamplerSeedHook)."""
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    class RecordIds(Hook):
        def __init__(self):
            self.ids = {}

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            self.ids.setdefault(runner.epoch, []).extend(
                s.img_id for s in data_batch['data_samples'])

    cfg = Config.fromfile(CFG)
    cfg.work_dir = str(tmp_path)
    cfg.train_dataloader.batch_size = 2
    cfg.train_dataloader.dataset.update(num_images=4, img_size=64,
                                        max_size=40)
    cfg.train_dataloader.dataset.pipeline[2].scale = (64, 64)
    cfg.train_cfg.update(max_epochs=2, val_interval=10)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint.interval = -1
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    recorder = RecordIds()
    runner.register_hook(recorder)
    runner.train()
    assert sorted(recorder.ids[0]) == [0, 1, 2, 3]
    assert sorted(recorder.ids[1]) == [4, 5, 6, 7]
