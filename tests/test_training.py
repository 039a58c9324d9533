import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmnetaug.engine import NetAugHook
from mmnetaug.registry import HOOKS
from mmnetaug.space import netaug_choices, set_max, unwrap
from helpers import shapes_data, tiny_cfg


@HOOKS.register_module(force=True)
class SortRecordingNetAugHook(NetAugHook):
    """NetAugHook that records the iteration of each channel sort."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sorted_at = []

    def _sort(self, runner):
        self.sorted_at.append(runner.iter)
        super()._sort(runner)


@HOOKS.register_module(force=True)
class StopAfterIters(Hook):
    """Ends training gracefully after ``iters`` iterations (an
    interruption: the CheckpointHook has saved that iteration)."""

    def __init__(self, iters):
        self.iters = iters

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.iters:
            runner.train_loop.stop_training = True


def _sorted_at(runner):
    return next(h.sorted_at for h in runner.hooks
                if isinstance(h, SortRecordingNetAugHook))


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return shapes_data(tmp_path_factory.mktemp('shapes'))


def test_netaug_run_trains_logs_and_exports(tmp_path):
    # one fixed batch of 4 images, 12 iterations: the base loss must fall
    data_root = shapes_data(tmp_path / 'shapes', num_train=4)
    cfg = tiny_cfg(data_root, tmp_path / 'work', epochs=12)
    cfg.optim_wrapper.optimizer.lr = 0.02
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    loss = hub.get_scalar('train/loss').data[0]
    assert len(loss) == 12
    assert np.mean(loss[-3:]) < 0.85 * np.mean(loss[:3])
    for key in ('train/loss_cls', 'train/loss_conf', 'train/aug_loss',
                'train/width_factor', 'train/expand_factor'):
        assert key in hub.log_scalars, key
    widths = hub.get_scalar('train/width_factor').data[0]
    assert max(widths) > 1.0  # wide passes happened
    # width augmentation stops half way: later widths are base
    assert all(w == 1.0 for w in widths[6:])
    assert max(hub.get_scalar('train/expand_factor').data[0][6:]) > 1.0
    assert 'val/time' in hub.log_scalars  # validated (too early for boxes)
    assert all(k.index == 0 for k in netaug_choices(runner.model))
    export = hub.get_info('netaug_export')
    assert osp.exists(export['config']) and osp.exists(export['checkpoint'])
    assert export['max_abs_diff'] <= 1e-5


def _train(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    return (unwrap(runner.model).state_dict(),
            list(hub.get_scalar('train/width_factor').data[0]),
            list(hub.get_scalar('train/expand_factor').data[0]),
            _sorted_at(runner))


def test_resume_reproduces_uninterrupted_run(data_root, tmp_path):
    # 3 epochs of 4 iterations; the policy changes at epoch starts: sorts
    # before epochs 1 and 2 (iterations 0 and 4), widths stop at epoch 3
    # (iteration 8 of 12 >= width_stop_fraction 0.5)
    hooks = [dict(type='mmnetaug.SortRecordingNetAugHook', export=False)]
    full_state, full_w, full_e, full_sorts = _train(
        tiny_cfg(data_root, tmp_path / 'full', epochs=3,
                 custom_hooks=hooks))
    assert full_sorts == [0, 4]
    # interrupted after the first epoch (epoch_1.pth), resumed to the end
    _, _, _, part_sorts = _train(tiny_cfg(
        data_root, tmp_path / 'part', epochs=3,
        custom_hooks=hooks + [dict(type='mmnetaug.StopAfterIters',
                                   iters=4)]))
    cfg = tiny_cfg(data_root, tmp_path / 'part', epochs=3,
                   custom_hooks=hooks)
    cfg.resume = True
    cfg.load_from = str(tmp_path / 'part' / 'epoch_1.pth')
    state, w, e, sorts = _train(cfg)
    assert part_sorts + sorts == full_sorts
    # (a resumed message hub may hold the first epoch's values too)
    assert w == full_w[len(full_w) - len(w):]
    assert e == full_e[len(full_e) - len(e):]
    assert max(w[-8:-4]) > 1.0 and w[-4:] == [1.0] * 4
    for key, value in full_state.items():
        if value.is_floating_point():
            # tolerance: float summation order only
            assert torch.allclose(state[key], value, atol=1e-5,
                                  rtol=1e-4), key


def test_hook_sorting_moves_optimizer_state(data_root, tmp_path):
    cfg = tiny_cfg(data_root, tmp_path, epochs=1)
    runner = Runner.from_cfg(cfg)
    runner.train()  # gives SGD momentum buffers
    model = unwrap(runner.model).eval()
    set_max(model)
    block = model.backbone.layer3[0]
    x = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        before = model._forward(x)
    param = block.linear_conv.conv.weight
    momentum = runner.optim_wrapper.optimizer.state[param]['momentum_buffer']
    pairs = param.detach().clone(), momentum.clone()
    hook = NetAugHook()
    hook._sort(runner)
    perm = torch.sort(pairs[0].abs().sum(dim=(0, 2, 3)), descending=True,
                      stable=True)[1]
    assert torch.equal(param, pairs[0][:, perm])
    assert torch.equal(momentum, pairs[1][:, perm])
    with torch.no_grad():
        after = model._forward(x)
    for a, b in zip(before, after):
        for ta, tb in zip(a, b):
            assert torch.allclose(ta, tb, atol=1e-4)


def test_bn_recalibration_policy_runs(data_root, tmp_path):
    cfg = tiny_cfg(data_root, tmp_path, epochs=1, custom_hooks=[
        dict(type='mmnetaug.NetAugHook', bn_policy='recalibrate',
             recalibrate_images=8, export=False)])
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert 'val/time' in runner.message_hub.log_scalars
    bn = unwrap(runner.model).backbone.conv1.bn
    # re-estimated from 8 images at base width: wide channels untouched (1)
    base = bn.active_channels
    assert torch.all(bn.running_var[base:] == 1)
    assert not torch.all(bn.running_var[:base] == 1)


@pytest.mark.parametrize('overrides, match', [
    (dict(train_cfg=dict(aug_loss_weight=-1.0)), 'aug_loss_weight'),
    (dict(custom_hooks=[dict(type='mmnetaug.NetAugHook',
                             width_stop_fraction=1.5)]),
     'width_stop_fraction'),
    (dict(model=dict(backbone=dict(type='MobileNetV2', width_factors=None,
                                   expand_factors=None))),
     'needs a model with NetAug'),
    (dict(optim_wrapper=dict(accumulative_counts=2)), 'accumulative_counts'),
    (dict(sync_bn='torch'), "sync_bn='torch'.*norm_cfg=dict.type='SyncBN'"),
])
def test_bad_settings_fail_at_start_up(data_root, tmp_path, overrides,
                                       match):
    cfg = tiny_cfg(data_root, tmp_path, epochs=1)
    if 'model' in overrides:
        cfg.model.backbone = dict(type='MobileNetV2', widen_factor=0.35,
                                  out_indices=(2, 4, 6),
                                  act_cfg=dict(type='LeakyReLU',
                                               negative_slope=0.1))
        overrides = {}
    cfg.merge_from_dict(overrides)
    with pytest.raises(ValueError, match=match):
        Runner.from_cfg(cfg).train()


def test_iteration_based_loop(data_root, tmp_path):
    cfg = tiny_cfg(data_root, tmp_path, epochs=1)
    cfg.train_cfg = dict(type='mmnetaug.NetAugIterBasedTrainLoop',
                         max_iters=6, val_interval=6)
    cfg.param_scheduler = []
    cfg.log_processor = dict(by_epoch=False)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=6,
                                        by_epoch=False)
    cfg.custom_hooks = [dict(type='mmnetaug.NetAugHook', export=False,
                             sort_interval=2)]
    runner = Runner.from_cfg(cfg)
    runner.train()
    widths = runner.message_hub.get_scalar('train/width_factor').data[0]
    assert len(widths) == 6
    assert max(widths[:3]) > 1.0
    assert all(w == 1.0 for w in widths[3:])  # stopped half way
    assert 'val/time' in runner.message_hub.log_scalars


def _iter_cfg(data_root, work_dir, max_iters, stop_after=None):
    """Iteration-based NetAug run: widths on for iterations 0-5, sorts every
    2 iterations, a checkpoint every 3, no validation."""
    cfg = tiny_cfg(data_root, work_dir, epochs=1)
    cfg.train_cfg = dict(type='mmnetaug.NetAugIterBasedTrainLoop',
                         max_iters=max_iters)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.param_scheduler = []
    cfg.log_processor = dict(by_epoch=False)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=3,
                                        by_epoch=False)
    cfg.custom_hooks = [dict(type='mmnetaug.SortRecordingNetAugHook',
                             export=False, sort_interval=2,
                             width_stop_fraction=0.75)]
    if stop_after is not None:
        cfg.custom_hooks.append(
            dict(type='mmnetaug.StopAfterIters', iters=stop_after))
    return cfg


def test_iteration_based_resume_sorts_as_uninterrupted_run(data_root,
                                                           tmp_path):
    full = Runner.from_cfg(_iter_cfg(data_root, tmp_path / 'full', 8))
    full.train()
    # sorts at iterations 2 and 4 only: not at 0, none once widths stop (6)
    assert _sorted_at(full) == [2, 4]
    # interrupted after 3 iterations (iter_3.pth), resumed to 8: resuming
    # (mmengine calls before_train_epoch again) must not add a sort at 3
    part = Runner.from_cfg(
        _iter_cfg(data_root, tmp_path / 'part', 8, stop_after=3))
    part.train()
    assert part.iter == 3
    cfg = _iter_cfg(data_root, tmp_path / 'part', 8)
    cfg.resume = True
    cfg.load_from = str(tmp_path / 'part' / 'iter_3.pth')
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    assert resumed.iter == 8
    assert _sorted_at(part) + _sorted_at(resumed) == [2, 4]
    expected = unwrap(full.model).state_dict()
    state = unwrap(resumed.model).state_dict()
    for key, value in expected.items():
        assert torch.equal(state[key], value), key
