"""NetAug with mmengine's EMAHook (YOLOX's ExpMomentumEMA), on a short run
of configs/fashion/netaug_yolox_nano_fashion.py (Mosaic, YOLOXModeSwitchHook,
SyncNormHook, EMA, NetAugHook) over tiny IDX files written here.

The EMA copy is the network that gets evaluated and deployed, so it must
follow NetAug: channel sorting permutes it as the live model, validation
and export run it at base width, its BN statistics are the base network's,
and the hook exports it (strict loading without mmnetaug)."""
import copy
import os.path as osp
from types import SimpleNamespace

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
from ema_helpers import fashion_root  # noqa: F401
from ema_helpers import bn_stats as _bn_stats
from ema_helpers import max_diff as _max_diff
from ema_helpers import run_without_mmnetaug, short_run_cfg
from ema_helpers import state as _state

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
NETAUG = osp.join(ROOT, 'configs/fashion/netaug_yolox_nano_fashion.py')
BASELINE = osp.join(ROOT, 'configs/fashion/baseline_yolox_nano_fashion.py')


def _cfg(root, work_dir, epochs=2, **hook_args):
    """2 epochs of 2 iterations (batch 2), Mosaic in the first, the mode
    switch in the last; EMA with gamma=1 so it lags the live model."""
    return short_run_cfg(NETAUG, root, work_dir, epochs, **hook_args)


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
    info, outs = run_without_mmnetaug(result, inputs, tmp_path)
    assert info['mmnetaug'] == []
    assert info['backbone'] == 'CSPDarknet'
    set_base(ema)
    ema.eval()
    with torch.no_grad():
        ref = ema._forward(inputs)
    assert max_abs_diff(outs, ref) <= 1e-5
    twin = build_detector(Config.fromfile(BASELINE))
    assert info['params'] == sum(p.numel() for p in twin.parameters())


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
