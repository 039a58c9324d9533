"""The shipped COCO and Pascal VOC configs, run as shipped, in their real
folder layouts (``data/coco``, ``data/VOCdevkit``, tiny generated sets).

Each config trains through ``tools/train.py`` from a folder holding
``data/``, with only the schedule (one tiny epoch: RepeatDataset's
``times`` 1; two for the recipes with a pipeline switch, which then
switches), the batch size, the workers and the score thresholds
overridden: its own pipeline
(Expand, MinIoURandomCrop, PhotoMetricDistortion, Mosaic, MixUp,
CachedMosaic), dataset wrappers (RepeatDataset, ConcatDataset of 07+12),
hooks (PipelineSwitchHook, YOLOXModeSwitchHook, EMA) and evaluator
(CocoMetric with its ``ann_file``, VOCMetric). A NetAug config exports
its base detector at the end, and ``tools/test.py`` tests the export.
Marked ``real_layout`` (``pytest -m real_layout`` runs them alone); they
run in ``.ci/run`` with the rest.
"""
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

import mmdet
from helpers import load_tool
from real_layouts import write_coco, write_voc

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONVERTER = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools',
                     'dataset_converters', 'pascal_voc.py')

# config (relative to configs/), extra schedule options. Every family
# runs NetAug and its baseline, and COCO and VOC, in about two minutes:
# the headline YOLOv3 configs all four, the others one of each
CONFIGS = [
    ('netaug_yolo_mbv2.py', {}),
    ('baseline_yolo_mbv2.py', {}),
    ('netaug_yolo_mbv2_voc.py', {}),
    ('baseline_yolo_mbv2_voc.py', {}),
    ('netaug_yolo_mbv2_tiny.py', {}),
    ('netaug_ssdlite_mbv2_voc.py', {}),
    ('baseline_ssdlite_mbv2.py', {}),
    ('tiny_backbones/netaug_yolo_mcunet_voc.py', {}),
    ('tiny_backbones/baseline_yolo_mcunet_voc.py', {}),
    # two epochs: Mosaic and MixUp, then the mode switch
    ('yolox/netaug_yolox_nano.py', {'custom_hooks.0.num_last_epochs': 1}),
    ('yolox/baseline_yolox_nano_voc.py',
     {'custom_hooks.0.num_last_epochs': 1}),
    ('yolox/baseline_yolox_tiny.py', {'custom_hooks.0.num_last_epochs': 1}),
    # two epochs: cached Mosaic and MixUp, then PipelineSwitchHook's stage 2
    ('rtmdet/netaug_rtmdet_tiny_voc.py', {'custom_hooks.1.switch_epoch': 1}),
    ('rtmdet/baseline_rtmdet_tiny_coco.py',
     {'custom_hooks.1.switch_epoch': 1}),
]


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    """A folder with ``data/coco`` and ``data/VOCdevkit``, the VOC07+12
    COCO-format file written by mmdet's own converter (RTMDet's VOC
    configs read it), as a user would."""
    root = tmp_path_factory.mktemp('layouts')
    write_coco(str(root))
    devkit = write_voc(str(root))
    subprocess.run([sys.executable, CONVERTER, devkit, '-o',
                    osp.join(devkit, 'annotations'), '--out-format', 'coco'],
                   check=True, capture_output=True)
    return root


def _schedule(cfg, extra):
    """The schedule, the batch size and the workers; and the score
    thresholds, so that the evaluator scores the boxes of a detector that
    trained one iteration (post-processing only: pipelines, wrappers,
    hooks and evaluators stay as shipped)."""
    epochs = 2 if extra else 1
    options = {'train_cfg.max_epochs': epochs, 'train_cfg.val_interval': 1,
               'default_hooks.checkpoint.interval': epochs, **extra}
    options.update({f'model.test_cfg.{k}': v for k, v in (
        ('score_thr', 0.0), ('conf_thr', 0.0), ('nms_pre', 100),
        ('min_bbox_size', -1))  # RTMDet's ReLU distances can all be 0
        if k in cfg.model.test_cfg})
    options['model.test_cfg.max_per_img'] = 10
    options['randomness.seed'] = 0
    if cfg.train_cfg.get('dynamic_intervals'):
        options['train_cfg.dynamic_intervals'] = None
    if cfg.train_dataloader.dataset.type.endswith('RepeatDataset'):
        options['train_dataloader.dataset.times'] = 1
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({f'{loader}.batch_size': 2,
                        f'{loader}.num_workers': 0,
                        f'{loader}.persistent_workers': False})
    return [f'{k}={v}' for k, v in options.items()]


def _metric_keys(cfg):
    kind = cfg.val_evaluator.type.split('.')[-1]
    return {'CocoMetric': 'coco/bbox_mAP', 'VOCMetric': 'pascal_voc/mAP'}[
        kind]


@pytest.mark.real_layout
@pytest.mark.parametrize('config, extra', CONFIGS,
                         ids=[c for c, _ in CONFIGS])
def test_shipped_config_trains_validates_and_exports(config, extra,
                                                     data_dir, monkeypatch):
    monkeypatch.chdir(data_dir)
    path = osp.join(ROOT, 'configs', config)
    cfg = Config.fromfile(path)
    work_dir = str(data_dir / 'work_dirs' / osp.splitext(
        osp.basename(config))[0])
    runner = load_tool('train').main(
        [path, '--work-dir', work_dir, '--cfg-options',
         *_schedule(cfg, extra)])
    assert runner.iter > 0
    key = _metric_keys(cfg)
    assert runner.message_hub.get_scalar(f'val/{key}') is not None
    if extra.get('custom_hooks.1.switch_epoch'):  # stage 2 ran
        pipeline = runner.train_dataloader.dataset.pipeline.transforms
        assert not any(type(t).__name__ == 'CachedMosaic'
                       for t in pipeline)
    if not osp.basename(config).startswith('netaug_'):
        return
    export = runner.message_hub.get_info('netaug_export')
    assert export['max_abs_diff'] <= 1e-5
    options = [o for o in _schedule(cfg, {}) if o.startswith(
        ('test_dataloader', 'model.test_cfg', 'randomness'))]
    metrics = load_tool('test').main(
        [export['config'], export['checkpoint'], '--work-dir',
         work_dir + '_test', '--cfg-options', *options])
    assert key in metrics


def test_missing_voc_coco_file_names_the_converter(tmp_path, monkeypatch):
    """Before mmdet's converter has written ``voc0712_trainval.json`` the
    RTMDet VOC config names the converter command, not the COCO layout;
    other configs keep their layout hints."""
    from mmnetaug.utils import check_datasets
    monkeypatch.chdir(tmp_path)
    write_voc(str(tmp_path))
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'rtmdet',
                                   'netaug_rtmdet_tiny_voc.py'))
    with pytest.raises(FileNotFoundError) as error:
        check_datasets(cfg)
    message = str(error.value)
    assert 'voc0712_trainval.json' in message
    assert 'dataset_converters/pascal_voc.py' in message
    assert '--out-format coco' in message
    assert 'train2017' not in message
    coco = Config.fromfile(osp.join(ROOT, 'configs', 'netaug_yolo_mbv2.py'))
    with pytest.raises(FileNotFoundError, match='train2017'):
        check_datasets(coco)
