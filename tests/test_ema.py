"""NetAug with mmengine's EMAHook (YOLOX's ExpMomentumEMA), on a short run
of configs/fashion/netaug_yolox_nano_fashion.py (Mosaic, YOLOXModeSwitchHook,
SyncNormHook, EMA, NetAugHook) over tiny IDX files written here.

The EMA copy is the network that gets evaluated and deployed, so it must
follow NetAug: channel sorting permutes it as the live model, validation
and export run it at base width, its BN statistics are the base network's,
and the hook exports it (strict loading without mmnetaug)."""
import copy
import gzip
import json
import os
import os.path as osp
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import EMAHook, Hook
from mmengine.runner import Runner

from mmnetaug.engine import ema_module, find_ema_hook, recalibrate_bn
from mmnetaug.engine.ema import check_hook_order
from mmnetaug.engine.hooks import NetAugHook
from mmnetaug.export import build_detector, max_abs_diff, to_static
from mmnetaug.space import netaug_choices, set_base, set_max, unwrap
from detector_helpers import _one_thread  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
NETAUG = osp.join(ROOT, 'configs/fashion/netaug_yolox_nano_fashion.py')
BASELINE = osp.join(ROOT, 'configs/fashion/baseline_yolox_nano_fashion.py')


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b''.join(
        int(n).to_bytes(4, 'big') for n in array.shape)
    with gzip.open(path + '.gz', 'wb') as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope='module')
def fashion_root(tmp_path_factory):
    """Eight 28x28 items (filled rectangles) of classes 0-3 per split."""
    root = str(tmp_path_factory.mktemp('fashion'))
    items = np.zeros((8, 28, 28), np.uint8)
    for i in range(8):
        items[i, 4 + i:24, 6:22 - i] = 255
    labels = np.arange(8) % 4
    for prefix in ('train', 't10k'):
        _write_idx(osp.join(root, f'{prefix}-images-idx3-ubyte'), items)
        _write_idx(osp.join(root, f'{prefix}-labels-idx1-ubyte'), labels)
    return root


def _cfg(root, work_dir, epochs=2, **hook_args):
    """2 epochs of 2 iterations (batch 2), Mosaic in the first, the mode
    switch in the last; EMA with gamma=1 so it lags the live model."""
    cfg = Config.fromfile(NETAUG)
    cfg.work_dir = str(work_dir)
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].batch_size = 2
    cfg.train_dataloader.dataset.dataset.update(data_root=root, num_images=4)
    cfg.val_dataloader.dataset.update(data_root=root, num_images=2)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.model.data_preprocessor.batch_augments = None  # reproducible passes
    cfg.train_cfg.update(max_epochs=epochs, val_interval=epochs)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint.interval = epochs
    cfg.default_hooks.logger.interval = 1
    hooks = {h['type'].split('.')[-1]: h for h in cfg.custom_hooks}
    hooks['YOLOXModeSwitchHook']['num_last_epochs'] = 1
    hooks['EMAHook']['gamma'] = 1
    hooks['NetAugHook'].update(hook_args)
    cfg.randomness = dict(seed=0)
    return cfg


def _state(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _max_diff(a: dict, b: dict, floats_only=True) -> float:
    return max(float((a[k].double() - b[k].double()).abs().max())
               for k in a if not floats_only or a[k].is_floating_point())


def _bn_stats(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()
            if k.endswith(('running_mean', 'running_var'))}


class BeforeSort(Hook):
    """Makes the EMA copy equal to the live model just before NetAugHook
    sorts (it runs first, at priority ABOVE_NORMAL)."""

    def before_train_epoch(self, runner):
        self.live = _state(unwrap(runner.model))
        ema_module(runner).load_state_dict(self.live)


class Probe(Hook):
    """Records, after EMAHook and NetAugHook have run (priority LOW), what
    the model and its EMA copy look like; see the tests below."""

    def __init__(self, before_sort):
        self.before_sort = before_sort
        self.sorts = []  # (EMA vs live, live moved by the sort)
        self.bn = None  # (EMA buffers, expected, base pass alone)
        self.val = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        live = unwrap(runner.model)
        if batch_idx == 0:
            self.sorts.append(
                (_max_diff(_state(ema_module(runner)), _state(live), False),
                 _max_diff(_state(live), self.before_sort.live)))
        if runner.iter == 1:  # the base pass alone, on a copy
            self._ema_before = _bn_stats(ema_module(runner))
            twin = copy.deepcopy(live).train()
            set_base(twin)
            with torch.no_grad():
                data = twin.data_preprocessor(data_batch, True)
                twin._run_forward(data, mode='loss')
            self._base_only = _bn_stats(twin)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter == 1:  # EMAHook (49) has averaged
            averaged = find_ema_hook(runner).ema_model
            expected = {}
            for key, value in self._ema_before.items():
                value = value.clone()
                averaged.avg_func(value, self._base_only[key], 1)
                expected[key] = value
            self.bn = (_bn_stats(ema_module(runner)), expected,
                       self._base_only)

    def after_train_epoch(self, runner):
        # leave the model wide: validation must still run at base width
        set_max(runner.model)
        self._ema = _state(ema_module(runner))
        self._live = _state(unwrap(runner.model))

    def before_val_epoch(self, runner):
        live = unwrap(runner.model)
        self.val.append(dict(
            base=all(k.index == 0 for k in netaug_choices(live)),
            ema_base=all(k.index == 0
                         for k in netaug_choices(ema_module(runner))),
            holds_ema=_max_diff(_state(live), self._ema)))

    def after_val_epoch(self, runner, metrics=None):
        self.val[-1]['restored'] = _max_diff(_state(unwrap(runner.model)),
                                             self._live)


@pytest.fixture(scope='module')
def netaug_run(fashion_root, tmp_path_factory):
    """One short run (sorting in both epochs), shared by the tests."""
    cfg = _cfg(fashion_root, tmp_path_factory.mktemp('ema_run'),
               width_stop_fraction=1.0)
    runner = Runner.from_cfg(cfg)
    before_sort = BeforeSort()
    probe = Probe(before_sort)
    runner.register_hook(before_sort, priority='ABOVE_NORMAL')
    runner.register_hook(probe, priority='LOW')
    runner.train()
    return runner, probe


def test_run_trains_with_mosaic_mode_switch_and_ema(netaug_run):
    runner, _ = netaug_run
    hub = runner.message_hub
    assert runner.iter == 4
    assert len(hub.get_scalar('train/aug_loss').data[0]) == 4
    assert max(hub.get_scalar('train/width_factor').data[0]) > 1.0
    assert unwrap(runner.model).bbox_head.use_l1  # mode switch happened
    assert find_ema_hook(runner).ema_model.steps == 4
    hooks = [type(h).__name__ for h in runner.hooks]
    # EMAHook swaps the EMA weights in before NetAugHook sets base width
    assert hooks.index('EMAHook') < hooks.index('NetAugHook')


def test_sorting_permutes_the_ema_copy_alike(netaug_run):
    """Both sorts moved the live weights; the EMA copy, equal to the live
    model before each, is equal after it: parameters and BN buffers."""
    _, probe = netaug_run
    assert len(probe.sorts) == 2
    for ema_vs_live, moved in probe.sorts:
        assert moved > 1e-3
        assert ema_vs_live == 0


def test_ema_bn_statistics_are_the_base_networks(netaug_run):
    """freeze_wide: after an iteration, the EMA's running statistics are
    the EMA update towards the statistics of the base pass alone."""
    _, probe = netaug_run
    ema, expected, base_only = probe.bn
    assert _max_diff(ema, expected) <= 1e-6
    # the update moved them (not a stale copy)
    assert _max_diff(ema, base_only) > 1e-6


def test_validation_runs_the_ema_weights_at_base_width(netaug_run):
    _, probe = netaug_run
    assert len(probe.val) == 1
    val = probe.val[0]
    assert val['base'] and val['ema_base']
    assert val['holds_ema'] == 0  # EMAHook swapped the EMA weights in
    assert val['restored'] == 0  # and the live ones back after


def test_export_is_the_ema_network_and_loads_without_mmnetaug(
        netaug_run, tmp_path):
    runner, _ = netaug_run
    result = runner.message_hub.get_info('netaug_export')
    assert result['max_abs_diff'] <= 1e-5
    exported = torch.load(result['checkpoint'], map_location='cpu')
    state = exported['state_dict']
    ema = ema_module(runner)
    ema_static = to_static(ema).state_dict()
    live_static = to_static(runner.model).state_dict()
    assert list(state) == list(ema_static)
    assert _max_diff(state, ema_static) == 0
    assert _max_diff(state, live_static) > 1e-4

    inputs = torch.randn(2, 3, 96, 96,
                         generator=torch.Generator().manual_seed(0))
    torch.save(inputs, tmp_path / 'inputs.pth')
    proc = subprocess.run(
        [sys.executable, '-c', STOCK_CHECK, result['config'],
         result['checkpoint'],
         str(tmp_path / 'inputs.pth'),
         str(tmp_path / 'outs.pth')],
        capture_output=True, text=True, cwd=str(tmp_path),
        env=dict(os.environ, PYTHONPATH=''))
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info['mmnetaug'] == []
    assert info['backbone'] == 'CSPDarknet'
    set_base(ema)
    ema.eval()
    with torch.no_grad():
        ref = ema._forward(inputs)
    assert max_abs_diff(torch.load(tmp_path / 'outs.pth'), ref) <= 1e-5
    twin = build_detector(Config.fromfile(BASELINE))
    assert info['params'] == sum(p.numel() for p in twin.parameters())


# Runs in a fresh interpreter that never imports mmnetaug.
STOCK_CHECK = r'''
import json, sys, torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
import mmdet.models
from mmdet.registry import MODELS
cfg_path, ckpt_path, inputs_path, out_path = sys.argv[1:]
cfg = Config.fromfile(cfg_path)
init_default_scope('mmdet')
model = MODELS.build(cfg.model).eval()
load_checkpoint(model, ckpt_path, map_location='cpu', strict=True)
with torch.no_grad():
    outs = model._forward(torch.load(inputs_path))
torch.save(outs, out_path)
print(json.dumps(dict(
    params=sum(p.numel() for p in model.parameters()),
    backbone=type(model.backbone).__name__,
    mmnetaug=[m for m in sys.modules if m.startswith('mmnetaug')])))
'''


class RecalibrationProbe(Hook):
    """Expected statistics: the EMA weights, recalibrated on a copy."""

    def after_train_epoch(self, runner):
        twin = copy.deepcopy(ema_module(runner))
        hook = next(h for h in runner.hooks if isinstance(h, NetAugHook))
        recalibrate_bn(twin, hook._calibration_loader(runner), 2)
        self.expected = _bn_stats(twin)
        self.ema_own = _bn_stats(ema_module(runner))

    def before_val_epoch(self, runner):
        self.seen = _bn_stats(unwrap(runner.model))


def test_recalibration_estimates_the_ema_weights_statistics(
        fashion_root, tmp_path):
    """bn_policy='recalibrate': the network validated (EMA weights at base
    width) has the statistics re-estimated on those very weights."""
    cfg = _cfg(fashion_root, tmp_path, epochs=1, bn_policy='recalibrate',
               recalibrate_images=2, export=False)
    # calibration images must not depend on Python's random state
    cfg.train_dataloader.dataset.pipeline = [
        dict(type='Resize', scale=(96, 96), keep_ratio=True),
        dict(type='PackDetInputs')
    ]
    runner = Runner.from_cfg(cfg)
    probe = RecalibrationProbe()
    runner.register_hook(probe, priority='LOW')
    runner.train()
    assert _max_diff(probe.seen, probe.expected) <= 1e-5
    assert _max_diff(probe.ema_own, probe.expected) > 1e-3


def test_recalibration_before_the_ema_swap_is_refused():
    """NetAugHook(bn_policy='recalibrate') must see the EMA weights: it is
    refused when it runs before EMAHook (checked at train and test start)."""
    netaug, ema = NetAugHook(bn_policy='recalibrate'), EMAHook()
    check_hook_order(SimpleNamespace(hooks=[ema, netaug]), netaug)
    with pytest.raises(ValueError, match='EMAHook.*priority=49'):
        check_hook_order(SimpleNamespace(hooks=[netaug, ema]), netaug)
    with pytest.raises(ValueError, match='one'):
        check_hook_order(SimpleNamespace(hooks=[ema, EMAHook(), netaug]),
                         netaug)
