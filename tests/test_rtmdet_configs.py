"""The RTMDet-tiny config pairs (COCO, Pascal VOC, pasted Fashion-MNIST):
each NetAug config is its baseline twin plus NetAug with mmdet's recipe
kept (CachedMosaic/CachedMixUp, the stage-2 pipeline switch, EMA), and a
short NetAug run of the fashion pair trains with EMA and exports the twin
(strict loading without mmnetaug, equal outputs and params)."""
import os.path as osp

import mmdet as mmdet_pkg
import pytest
import torch
from mmdet.datasets import VOCDataset
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmnetaug.engine import ema_module, find_ema_hook
from mmnetaug.export import (build_detector, export_config, max_abs_diff,
                             to_static)
from mmnetaug.space import set_base, unwrap
from detector_helpers import _one_thread  # noqa: F401
from ema_helpers import fashion_root  # noqa: F401
from ema_helpers import max_diff, run_without_mmnetaug, short_run_cfg, state
from test_yolox_configs import _unscoped

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PAIRS = [(f'configs/{folder}/netaug_rtmdet_tiny_{name}.py',
          f'configs/{folder}/baseline_rtmdet_tiny_{name}.py')
         for folder, name in (('rtmdet', 'coco'), ('rtmdet', 'voc'),
                              ('fashion', 'fashion'))]
FASHION = PAIRS[2]
CACHED = {'CachedMosaic', 'CachedMixUp'}


def _cfg(path):
    return Config.fromfile(osp.join(ROOT, path))


def _types(pipeline):
    return [t['type'] for t in pipeline]


@pytest.mark.parametrize('pair', PAIRS, ids=lambda p: osp.basename(p[0]))
def test_netaug_config_is_its_twin_plus_netaug(pair):
    """Stripped of NetAug (what export writes), the config is its twin:
    model, data, optimizer, schedule, hooks and the loop with its
    dynamic_intervals; mmdet's RTMDet recipe stays, nothing downloads."""
    netaug, twin = _cfg(pair[0]), _cfg(pair[1]).to_dict()
    assert netaug.model.backbone.type == 'mmnetaug.NetAugCSPNeXt'
    assert netaug.train_cfg.type == 'mmnetaug.NetAugTrainLoop'
    hooks = [h['type'] for h in netaug.custom_hooks]
    # NetAugHook after EMAHook: it sets base width on the swapped-in EMA
    assert hooks == ['EMAHook', 'PipelineSwitchHook', 'mmnetaug.NetAugHook']
    stock, replaced = export_config(netaug)
    stock, twin = _unscoped(stock.to_dict()), _unscoped(twin)
    assert set(replaced) == {'NetAugCSPNeXt', 'NetAugTrainLoop',
                             'NetAugHook'}
    for key in ('model', 'train_dataloader', 'val_dataloader',
                'test_dataloader', 'val_evaluator', 'optim_wrapper',
                'param_scheduler', 'custom_hooks', 'default_hooks',
                'auto_scale_lr'):
        assert stock[key] == twin[key], key
    assert stock['train_cfg'] == dict(twin['train_cfg'],
                                      type='EpochBasedTrainLoop')
    # the recipe: cached mixes on one dataset (PipelineSwitchHook replaces
    # train_dataloader.dataset.pipeline: a wrapper would ignore it), a
    # stage-2 pipeline without them, EMA
    train_set = twin['train_dataloader']['dataset']
    assert 'dataset' not in train_set and 'datasets' not in train_set
    assert CACHED <= set(_types(train_set['pipeline']))
    ema, switch = twin['custom_hooks']
    assert ema['type'] == 'EMAHook' and ema['ema_type'] == 'ExpMomentumEMA'
    assert switch['type'] == 'PipelineSwitchHook'
    assert not CACHED & set(_types(switch['switch_pipeline']))
    assert 0 < switch['switch_epoch'] < twin['train_cfg']['max_epochs']
    # nothing downloads
    assert twin['model']['backbone']['init_cfg'] is None
    assert '://' not in repr(twin['model'])
    assert twin.get('load_from') is None


def test_coco_twin_is_mmdets_config_without_the_download():
    twin = _cfg(PAIRS[0][1]).to_dict()
    mmdet = Config.fromfile(osp.join(
        osp.dirname(mmdet_pkg.__file__),
        '.mim/configs/rtmdet/rtmdet_tiny_8xb32-300e_coco.py')).to_dict()
    assert mmdet['model']['backbone']['init_cfg']['type'] == 'Pretrained'
    mmdet['model']['backbone']['init_cfg'] = None
    assert _unscoped(twin) == _unscoped(mmdet)
    assert twin['train_cfg']['dynamic_intervals'] == [(280, 1)]


def test_voc_pair_reads_voc0712_and_tests_on_voc07():
    cfg = _cfg(PAIRS[1][0])
    train_set = cfg.train_dataloader.dataset
    assert train_set.ann_file == 'annotations/voc0712_trainval.json'
    # labels in VOCDataset's order: the VOC2007 test set's
    assert train_set.metainfo['classes'] == VOCDataset.METAINFO['classes']
    assert cfg.model.bbox_head.num_classes == 20
    val_set = cfg.val_dataloader.dataset
    assert (val_set.type, val_set.ann_file) == (
        'VOCDataset', 'VOC2007/ImageSets/Main/test.txt')
    assert cfg.val_evaluator.type == 'VOCMetric'
    assert cfg.val_evaluator.eval_mode == '11points'


@pytest.mark.parametrize('pair', PAIRS, ids=lambda p: osp.basename(p[0]))
def test_pair_builds_and_the_base_network_is_the_twin(pair):
    """Both configs build; the NetAug detector's base network has the
    twin's parameter names and shapes (what export will write)."""
    netaug = build_detector(_cfg(pair[0]))
    twin = build_detector(_cfg(pair[1]))
    assert type(netaug.backbone).__name__ == 'NetAugCSPNeXt'
    assert type(twin.backbone).__name__ == 'CSPNeXt'
    static = to_static(netaug).state_dict()
    shapes = {k: v.shape for k, v in twin.state_dict().items()}
    assert {k: v.shape for k, v in static.items()} == shapes
    assert sum(p.numel() for p in netaug.parameters()) > sum(
        p.numel() for p in twin.parameters())


class PipelineProbe(Hook):
    """The transforms of the training set's pipeline at each epoch start,
    after PipelineSwitchHook (priority LOW)."""

    def __init__(self):
        self.epochs = []

    def before_train_epoch(self, runner):
        pipeline = runner.train_dataloader.dataset.pipeline
        self.epochs.append([type(t).__name__ for t in pipeline.transforms])


@pytest.fixture(scope='module')
def fashion_run(fashion_root, tmp_path_factory):  # noqa: F811
    """2 epochs of 2 iterations of netaug_rtmdet_tiny_fashion.py: cached
    mixes in the first, the stage-2 pipeline in the second."""
    cfg = short_run_cfg(osp.join(ROOT, FASHION[0]), fashion_root,
                        tmp_path_factory.mktemp('rtmdet_run'),
                        width_stop_fraction=1.0)
    runner = Runner.from_cfg(cfg)
    probe = PipelineProbe()
    runner.register_hook(probe, priority='LOW')
    runner.train()
    return runner, probe


def test_fashion_run_trains_with_cached_mixes_switch_and_ema(fashion_run):
    runner, probe = fashion_run
    hub = runner.message_hub
    assert runner.iter == 4
    assert len(hub.get_scalar('train/aug_loss').data[0]) == 4
    assert max(hub.get_scalar('train/width_factor').data[0]) > 1.0
    assert find_ema_hook(runner).ema_model.steps == 4
    hooks = [type(h).__name__ for h in runner.hooks]
    assert hooks.index('EMAHook') < hooks.index('NetAugHook')
    # the stage-2 switch reached the dataset the loader reads
    assert len(probe.epochs) == 2
    assert CACHED <= set(probe.epochs[0])
    assert not CACHED & set(probe.epochs[1])
    assert 'RandomCrop' in probe.epochs[1]


def test_fashion_export_is_the_ema_twin_without_mmnetaug(fashion_run,
                                                         tmp_path):
    """The hook's export is the EMA network's base slice; it loads strictly
    in a process that never imports mmnetaug, as stock CSPNeXt (SyncBN as
    mmdet's config), with the supernet's base outputs and the twin's
    parameter count."""
    runner, _ = fashion_run
    result = runner.message_hub.get_info('netaug_export')
    assert result['max_abs_diff'] <= 1e-5
    exported = torch.load(result['checkpoint'], map_location='cpu')
    ema = ema_module(runner)
    ema_static = to_static(ema).state_dict()
    assert list(exported['state_dict']) == list(ema_static)
    assert max_diff(exported['state_dict'], ema_static) == 0
    assert max_diff(exported['state_dict'],
                    to_static(runner.model).state_dict()) > 1e-4
    assert Config.fromfile(
        result['config']).model.backbone.norm_cfg.type == 'SyncBN'

    inputs = torch.randn(2, 3, 96, 96,
                         generator=torch.Generator().manual_seed(0))
    info, outs = run_without_mmnetaug(result, inputs, tmp_path)
    assert info['mmnetaug'] == []
    assert info['backbone'] == 'CSPNeXt'
    set_base(ema)
    ema.eval()
    with torch.no_grad():
        ref = ema._forward(inputs)
    assert max_abs_diff(outs, ref) <= 1e-5
    twin = build_detector(_cfg(FASHION[1]))
    assert info['params'] == sum(p.numel() for p in twin.parameters())
    # the live weights trained (the export is not a stale copy)
    assert max_diff(state(unwrap(runner.model)), state(ema)) > 1e-4
