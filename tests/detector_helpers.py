"""Helpers for the whole-detector neck/head tests (YOLOv3 and SSDLite)."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from mmnetaug.export import build_detector, replace_dynamic_layers
from mmnetaug.ops import DynamicBatchNorm2d, DynamicConv2d
from mmnetaug.space import set_base

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    """One intra-op thread for these tiny tensors.

    It costs little on an idle machine, but on 2 shared cores two OpenMP
    threads wait on each other at every small op: 5-15x slower here.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def randomise_bn(model: nn.Module) -> None:
    """Non-trivial BN statistics and affine, so equality tests can fail."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)


def static_twin(model: nn.Module, forward) -> nn.Module:
    """A copy whose dynamic layers are frozen at the widths of one pass."""
    twin = copy.deepcopy(model)
    with torch.no_grad():
        forward(twin)
    replace_dynamic_layers(twin)
    return twin


def silence_wide(model: nn.Module, forward) -> nn.Module:
    """A copy whose channels beyond base width always output zero.

    Every conv is followed by a BN whose weight and bias are zeroed beyond
    the base width, and ReLU6/LeakyReLU map 0 to 0. If the base network is
    a true sub-network (each layer reads the right channels, also after a
    concatenation), any configuration of the copy computes the base output.
    """
    quiet = copy.deepcopy(model).eval()
    set_base(quiet)
    with torch.no_grad():
        forward(quiet)
        for m in quiet.modules():
            if isinstance(m, DynamicBatchNorm2d):
                m.weight[m.active_channels:] = 0
                m.bias[m.active_channels:] = 0
    return quiet


def flat(outs):
    if isinstance(outs, torch.Tensor):
        return [outs]
    return [t for o in outs for t in flat(o)]


def load_cfg(name: str, overrides=None) -> Config:
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    if overrides:
        cfg.merge_from_dict(copy.deepcopy(overrides))
    return cfg


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def wide_only_regions(model, prefixes):
    """Masks of the conv weight entries outside the base network."""
    set_base(model)
    model.eval()
    with torch.no_grad():
        model._forward(torch.zeros(1, 3, 64, 64))
    regions = {}
    for name, m in model.named_modules():
        if (name.startswith(prefixes) and isinstance(m, DynamicConv2d)
                and m.in_channel_groups is None and not m.is_depthwise):
            mask = torch.ones_like(m.weight, dtype=torch.bool)
            mask[:m.active_out_channels, :m.active_in_channels] = False
            regions[f'{name}.weight'] = mask
    return regions


def moved_regions(model, regions, before):
    params = dict(model.named_parameters())
    return [
        key for key, mask in regions.items()
        if not torch.equal(params[key][mask], before[key][mask])
    ]


def sampled_detector(cfg_name: str, overrides: dict):
    """A tiny NetAug detector with random BN, a fixed input, its
    wide-silenced copy and the base output on that input."""
    model = build_detector(load_cfg(cfg_name, overrides))
    randomise_bn(model)
    inputs = torch.randn(2, 3, 64, 64,
                         generator=torch.Generator().manual_seed(1))
    quiet = silence_wide(model, lambda m: m._forward(inputs))
    with torch.no_grad():
        base = quiet._forward(inputs)
    return model, quiet, inputs, base


def load_exported(result: dict, model) -> nn.Module:
    """The exported stock detector, checked against the supernet: no NetAug
    names in its config, strict loading, equal outputs at base width."""
    from mmengine.runner import load_checkpoint

    from mmnetaug.export import max_abs_diff
    assert result['max_abs_diff'] <= 1e-5
    text = open(result['config']).read()
    for word in ('mmnetaug', 'NetAug', 'width_factors', 'augment_'):
        assert word not in text, word
    stock = build_detector(Config.fromfile(result['config']))
    load_checkpoint(stock, result['checkpoint'], map_location='cpu',
                    strict=True, logger='silent')
    stock.eval()
    model.eval()
    set_base(model)
    inputs = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        assert max_abs_diff(stock._forward(inputs),
                            model._forward(inputs)) <= 1e-5
    return stock
