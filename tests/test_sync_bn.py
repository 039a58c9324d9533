"""DynamicSyncBatchNorm2d: plain dynamic BN in one process, whole-batch BN
across 2 gloo processes on CPU, and SyncBN through build and export."""
import copy
import datetime
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.optim import OptimWrapper
from mmdet.models.backbones import MobileNetV2

from mmnetaug.engine.netaug_step import (frozen_bn_stats, iteration_generator,
                                         netaug_train_step)
from mmnetaug.export import build_detector, export, export_config, to_static
from mmnetaug.models import NetAugMobileNetV2
from mmnetaug.models.layers import dynamic_norm_cfg
from mmnetaug.ops import DynamicBatchNorm2d, DynamicSyncBatchNorm2d
from mmnetaug.registry import MODELS
from mmnetaug.space import set_base, unwrap
from detector_helpers import (_one_thread, load_cfg, load_exported,  # noqa
                              randomise_bn)
from test_bn_policy import NECK_HEAD, _batch as _detection_batch

MAX = 8
SYNC = dict(type='SyncBN', requires_grad=True)
# what mmcv builds for SyncBN: mmengine's subclass of nn.SyncBatchNorm
STOCK_SYNC_BN = type(build_norm_layer(SYNC, 4)[1])


def _init(bn, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        bn.weight.copy_(torch.rand(MAX, generator=g) + 0.5)
        bn.bias.copy_(torch.rand(MAX, generator=g) * 0.4 - 0.2)
        bn.running_mean.copy_(torch.rand(MAX, generator=g) - 0.5)
        bn.running_var.copy_(torch.rand(MAX, generator=g) + 0.5)
    return bn


def _batch(width, seed, n=8):
    """Channels with means up to +-100 and spreads down to 0.1: a sum of
    squares minus the squared sum would lose the variance in float32."""
    g = torch.Generator().manual_seed(seed)
    scale = torch.rand(1, width, 1, 1, generator=g) * 2.9 + 0.1
    offset = (torch.rand(1, width, 1, 1, generator=g) - 0.5) * 200
    x = torch.randn(n, width, 4, 4, generator=g) * scale + offset
    return x, torch.randn(n, width, 4, 4, generator=g)


# (active width, rows of the batch of 8 on rank 0, update_running_stats,
#  training): half batches, an uneven split, a frozen-statistics pass, eval
STEPS = [(5, 4, True, True), (3, 3, True, True), (6, 4, False, True),
         (5, 4, True, False)]


def _run(bn, rows=None):
    """The STEPS through ``bn`` (in its dtype); ``rows(split)``: this
    process's rows."""
    records = []
    for i, (width, split, update, training) in enumerate(STEPS):
        x, grad = _batch(width, seed=10 + i)
        if rows is not None:
            x, grad = x[rows(split)], grad[rows(split)]
        x, grad = x.to(bn.weight.dtype), grad.to(bn.weight.dtype)
        x = x.clone().requires_grad_()
        bn.train(training)
        bn.update_running_stats = update
        bn.weight.grad = bn.bias.grad = None
        out = bn(x)
        (out * grad).sum().backward()
        records.append(
            dict(out=out.detach(), x_grad=x.grad, w_grad=bn.weight.grad,
                 b_grad=bn.bias.grad, mean=bn.running_mean.clone(),
                 var=bn.running_var.clone(),
                 tracked=int(bn.num_batches_tracked)))
    bn.update_running_stats = True
    return records


# ---- one process: exactly DynamicBatchNorm2d -------------------------------
@pytest.mark.parametrize('momentum', [0.1, None])
def test_single_process_is_dynamic_bn(momentum):
    assert not dist.is_initialized()
    sync = _init(DynamicSyncBatchNorm2d(MAX, momentum=momentum))
    ref = _init(DynamicBatchNorm2d(MAX, momentum=momentum))
    for got, want in zip(_run(sync), _run(ref)):
        for key, value in want.items():
            assert (value == got[key]) if key == 'tracked' else torch.equal(
                value, got[key]), key


def test_registry_norm_cfg_and_static_layer():
    assert MODELS.get('DynamicSyncBatchNorm2d') is DynamicSyncBatchNorm2d
    assert issubclass(DynamicSyncBatchNorm2d, DynamicBatchNorm2d)
    for norm_type in ('SyncBN', nn.SyncBatchNorm, STOCK_SYNC_BN,
                      'mmnetaug.DynamicSyncBatchNorm2d'):
        cfg = dynamic_norm_cfg(dict(type=norm_type, requires_grad=False))
        assert cfg == dict(type=DynamicSyncBatchNorm2d, requires_grad=False)
    assert dynamic_norm_cfg(dict(type='BN'))['type'] is DynamicBatchNorm2d
    with pytest.raises(ValueError, match='norm_cfg type .GN.*"SyncBN"'):
        dynamic_norm_cfg(dict(type='GN', num_groups=2))

    bn = _init(DynamicSyncBatchNorm2d(MAX)).eval()
    x = torch.randn(2, 5, 3, 3)
    out = bn(x)
    static = bn.to_static()
    assert type(static) is STOCK_SYNC_BN and static.num_features == 5
    assert issubclass(STOCK_SYNC_BN, nn.SyncBatchNorm)
    assert set(static.state_dict()) == set(bn.state_dict())
    assert torch.allclose(static(x), out, atol=1e-6)


# ---- two gloo processes: BN of the whole batch -----------------------------
def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _worker(rank, port, out_path, job):
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
        world_size=2, timeout=datetime.timedelta(seconds=60))
    try:
        torch.save(job(rank), f'{out_path}.{rank}')
    finally:
        dist.destroy_process_group()


def _on_two_ranks(job, tmp_path):
    """``job(rank)`` in 2 gloo processes; what each returned."""
    path = str(tmp_path / 'records')
    # fork: the workers start with everything imported (spawn re-imports
    # mmdet, 10-20 s on a busy machine)
    method = 'fork' if 'fork' in mp.get_all_start_methods() else 'spawn'
    mp.start_processes(_worker, args=(_free_port(), path, job), nprocs=2,
                       join=True, start_method=method)
    return [torch.load(f'{path}.{rank}') for rank in (0, 1)]


def _bn_steps(rank):
    def rows(split):
        return slice(0, split) if rank == 0 else slice(split, None)

    return {
        momentum: _run(
            _init(DynamicSyncBatchNorm2d(MAX, momentum=momentum)), rows)
        for momentum in (0.1, None)
    }


@pytest.fixture(scope='module')
def two_ranks(tmp_path_factory):
    return _on_two_ranks(_bn_steps, tmp_path_factory.mktemp('sync_bn'))


@pytest.mark.parametrize('momentum', [0.1, None])
def test_two_ranks_equal_bn_of_the_whole_batch(two_ranks, momentum):
    ranks = [records[momentum] for records in two_ranks]
    # reference: one process, the whole batch, in float64 (float32 BN,
    # stock or synced, is off by ~1e-5 with inputs around 100)
    ref = _run(_init(DynamicBatchNorm2d(MAX, momentum=momentum)).double())
    init = _init(DynamicBatchNorm2d(MAX))

    def close(got, want, rtol=1e-5, atol=3e-5):
        return torch.allclose(got.double(), want, rtol=rtol, atol=atol)

    for step, (want, r0, r1) in enumerate(zip(ref, *ranks)):
        width, split, update, training = STEPS[step]
        assert r0['out'].size(0) == split and r1['out'].size(0) == 8 - split
        # each rank holds its rows of the output and of the input gradient
        # (the gradient of the summed loss of both ranks: the statistics
        # depend on the other rank's rows too)
        for key in ('out', 'x_grad'):
            assert close(torch.cat([r0[key], r1[key]]), want[key]), (step,
                                                                     key)
        # affine gradients: per rank, of that rank's loss; their sum (what
        # DDP all-reduces, before dividing by the world size) is the
        # whole-batch gradient
        for key in ('w_grad', 'b_grad'):
            assert close(r0[key] + r1[key], want[key], 1e-4, 1e-3), (step,
                                                                    key)
            if training:
                assert not close(r0[key], want[key], 0, 1e-2)
        # running statistics: the same on both ranks, the whole batch's
        for key in ('mean', 'var'):
            assert torch.equal(r0[key], r1[key]), (step, key)
            assert close(r0[key], want[key], atol=1e-6), (step, key)
            # beyond the widest width used, the initial values stay
            assert torch.equal(r0[key][6:], getattr(
                init, f'running_{key}')[6:]), (step, key)
        assert r0['tracked'] == r1['tracked'] == want['tracked']
        if not update or not training:  # frozen pass / eval: untouched
            prev = ranks[0][step - 1]
            assert torch.equal(r0['mean'], prev['mean'])
            assert torch.equal(r0['var'], prev['var'])
            assert r0['tracked'] == prev['tracked']
    assert ranks[0][-1]['tracked'] == 2


def _bn_stats(model) -> dict:
    return {name: (m.running_mean.clone(), m.running_var.clone(),
                   m.num_batches_tracked.clone())
            for name, m in model.named_modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm)}


SYNC_EVERYWHERE = dict(NECK_HEAD, **{
    f'model.{part}.norm_cfg': SYNC
    for part in ('backbone', 'neck', 'bbox_head')})


def _netaug_ddp_step(rank):
    """One NetAug step (base pass under no_sync, a wide pass with frozen
    BN statistics) of a SyncBN detector in DDP, 2 images per rank."""
    from mmengine.model import MMDistributedDataParallel
    torch.manual_seed(0)
    cfg = load_cfg('procedural/netaug_yolo_mbv2_shapes.py', SYNC_EVERYWHERE)
    model = build_detector(cfg)
    model.init_weights()
    model.train()
    base_only = copy.deepcopy(model)
    batch = {key: value[2 * rank:2 * rank + 2]
             for key, value in _detection_batch().items()}
    # as the runner wraps it (True, from mmdet's yolov3_mobilenetv2 config:
    # MobileNetV2's last conv is unused)
    ddp = MMDistributedDataParallel(
        module=model, device_ids=None, broadcast_buffers=False,
        find_unused_parameters=cfg.find_unused_parameters)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    _, config = netaug_train_step(ddp, batch, optim,
                                  iteration_generator(0, 1),
                                  freeze_wide_bn=True)
    set_base(base_only)
    base_only._run_forward(base_only.data_preprocessor(batch, True),
                           mode='loss')
    return dict(
        config=config,
        kinds={type(m).__name__ for m in model.modules()
               if isinstance(m, nn.modules.batchnorm._BatchNorm)},
        stats=_bn_stats(unwrap(ddp)), base_stats=_bn_stats(base_only),
        params={k: v.detach().clone() for k, v in model.named_parameters()},
        init={k: v.detach().clone()
              for k, v in base_only.named_parameters()})


def test_netaug_ddp_step_with_syncbn_on_two_ranks(tmp_path):
    r0, r1 = _on_two_ranks(_netaug_ddp_step, tmp_path)
    assert r0['kinds'] == r1['kinds'] == {'DynamicSyncBatchNorm2d'}
    assert r0['config'] == r1['config'] and any(r0['config'])
    # each rank saw other images: equal statistics mean they were reduced,
    # and (freeze_wide) they are those of the base pass alone
    for name, tensors in r0['stats'].items():
        for a, b, base in zip(tensors, r1['stats'][name],
                              r0['base_stats'][name]):
            assert torch.equal(a, b) and torch.equal(a, base), name
    moved = [k for k, v in r0['params'].items()
             if not torch.equal(v, r0['init'][k])]
    assert moved
    for key, value in r0['params'].items():
        assert torch.equal(value, r1['params'][key]), key


# ---- SyncBN in a NetAug model and its export -------------------------------
def test_netaug_backbone_with_syncbn_exports_to_stock_syncbn():
    kwargs = dict(widen_factor=0.25, out_indices=(2, 4), norm_cfg=SYNC)
    model = NetAugMobileNetV2(**kwargs)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert bns and all(type(m) is DynamicSyncBatchNorm2d for m in bns)
    with frozen_bn_stats(model):  # the BN policy reaches them
        assert not any(m.update_running_stats for m in bns)
    assert all(m.update_running_stats for m in bns)
    randomise_bn(model)
    static = to_static(model, input_shape=(1, 3, 32, 32))
    kinds = {type(m) for m in static.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm)}
    assert kinds == {STOCK_SYNC_BN}
    stock = MobileNetV2(**kwargs)
    stock.load_state_dict(static.state_dict(), strict=True)
    stock.eval()  # mmdet's MobileNetV2.train() returns None
    model.eval()
    set_base(model)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        for a, b in zip(model(x), stock(x)):
            assert torch.allclose(a, b, atol=1e-5)


def test_yolo_with_syncbn_everywhere_exports_stock_syncbn(tmp_path):
    tiny_sync = dict(model=dict(
        backbone=dict(widen_factor=0.35, norm_cfg=SYNC),
        neck=dict(in_channels=[112, 32, 16], out_channels=[32, 32, 32],
                  norm_cfg=SYNC),
        bbox_head=dict(num_classes=3, in_channels=[32, 32, 32],
                       out_channels=[32, 32, 32], norm_cfg=SYNC)))
    cfg = load_cfg('netaug_yolo_mbv2_neckhead.py', tiny_sync)
    model = build_detector(cfg)
    for part in (model.backbone, model.neck, model.bbox_head):
        kinds = {type(m) for m in part.modules()
                 if isinstance(m, nn.BatchNorm2d)}
        assert kinds == {DynamicSyncBatchNorm2d}
    randomise_bn(model)
    stock_cfg, _ = export_config(cfg)
    for part in ('backbone', 'neck', 'bbox_head'):
        assert stock_cfg.model[part].norm_cfg == SYNC
    result = export(cfg, None, str(tmp_path / 'out'),
                    model=copy.deepcopy(model))
    stock = load_exported(result, model)  # strict load, equal eval outputs
    kinds = {type(m) for m in stock.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm)}
    assert kinds == {STOCK_SYNC_BN}
