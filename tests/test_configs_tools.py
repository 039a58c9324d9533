import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from mmnetaug.export import build_detector, export_config
from mmnetaug.space import is_netaug_model

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PAIRS = [('netaug_yolo_mbv2.py', 'baseline_yolo_mbv2.py'),
         ('netaug_yolo_mbv2_tiny.py', 'baseline_yolo_mbv2_tiny.py'),
         ('netaug_yolo_mbv2_voc.py', 'baseline_yolo_mbv2_voc.py'),
         ('demo/netaug_yolo_mbv2_demo.py', 'demo/baseline_yolo_mbv2_demo.py'),
         ('procedural/netaug_yolo_mbv2_shapes.py',
          'procedural/baseline_yolo_mbv2_shapes.py')]


def _cfg(name):
    return Config.fromfile(osp.join(ROOT, 'configs', name))


@pytest.mark.parametrize('netaug, baseline', PAIRS)
def test_twins_differ_only_by_netaug(netaug, baseline):
    net_cfg, base_cfg = _cfg(netaug), _cfg(baseline)
    stock, _ = export_config(net_cfg)
    # once NetAug parts are swapped back, the twin is the baseline
    for key in ('model', 'train_dataloader', 'val_dataloader',
                'val_evaluator', 'optim_wrapper', 'param_scheduler'):
        assert stock.to_dict()[key] == base_cfg.to_dict()[key], key
    assert stock.train_cfg == base_cfg.train_cfg
    assert 'download' not in net_cfg.pretty_text.lower()
    model = build_detector(net_cfg)
    assert is_netaug_model(model)
    assert not is_netaug_model(build_detector(base_cfg))


def test_voc_config_uses_voc_metric_and_20_classes():
    cfg = _cfg('netaug_yolo_mbv2_voc.py')
    assert cfg.model.bbox_head.num_classes == 20
    assert cfg.val_evaluator.type == 'VOCMetric'
    years = [d.ann_file for d in cfg.train_dataloader.dataset.dataset.datasets]
    assert years == ['VOC2007/ImageSets/Main/trainval.txt',
                     'VOC2012/ImageSets/Main/trainval.txt']
    assert cfg.test_dataloader.dataset.ann_file == \
        'VOC2007/ImageSets/Main/test.txt'


@pytest.mark.parametrize('config, expected', [
    ('configs/netaug_yolo_mbv2.py',
     'data/coco/annotations/instances_train2017.json'),
    ('configs/baseline_yolo_mbv2_voc.py',
     'data/VOCdevkit/VOC2007/ImageSets/Main/trainval.txt'),
])
def test_train_without_dataset_names_the_missing_path(tmp_path, config,
                                                      expected):
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'),
         osp.join(ROOT, config), '--work-dir', str(tmp_path / 'w')],
        capture_output=True, text=True, cwd=str(tmp_path))
    assert proc.returncode != 0
    assert expected in proc.stderr
    assert 'layout' in proc.stderr and '--cfg-options' in proc.stderr
    assert 'Traceback' not in proc.stderr
