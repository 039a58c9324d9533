"""NetAug modules and their stock twins: same base init, valid shapes only."""
import glob
import math
import os.path as osp

import pytest
import torch

from mmnetaug.export import build_detector, to_static
from mmnetaug.models import NetAugMobileNetV2
from mmnetaug.models.backbones import NetAugMCUNet
from mmnetaug.models.necks import NetAugYOLOV3Neck
from detector_helpers import ROOT, _one_thread, load_cfg  # noqa: F401


def _config_pairs():
    """(NetAug config, its baseline twin) for every shipped NetAug config
    whose model differs from the others' by more than the class count
    (COCO and VOC twins build the same layers but the last)."""
    pairs, models = [], set()
    for path in sorted(glob.glob(osp.join(ROOT, 'configs', '**',
                                          'netaug_*.py'), recursive=True)):
        folder, name = osp.split(path)
        twin = name.replace('netaug_', 'baseline_')
        for suffix in ('_neckhead', '_neck'):
            twin = twin.replace(suffix, '')
        assert osp.exists(osp.join(folder, twin)), f'{name}: no twin {twin}'
        rel = osp.relpath(folder, osp.join(ROOT, 'configs'))
        model = load_cfg(osp.join(rel, name)).model.to_dict()
        model.get('bbox_head', {}).pop('num_classes', None)
        if repr(model) not in models:
            models.add(repr(model))
            pairs.append((osp.join(rel, name), osp.join(rel, twin)))
    return pairs


def _conv_weights(model) -> dict:
    return {k: v for k, v in model.state_dict().items()
            if k.endswith('weight') and v.dim() == 4}


def _pooled_conv_weights(cfg_name: str, netaug: bool, seeds) -> dict:
    pooled = {}
    for seed in seeds:
        torch.manual_seed(seed)
        model = build_detector(load_cfg(cfg_name))
        model.init_weights()
        if netaug:
            model = to_static(model, (1, 3, 64, 64))  # the base slice
        for key, value in _conv_weights(model).items():
            pooled.setdefault(key, []).append(value.flatten())
    return {k: torch.cat(v) for k, v in pooled.items()}


@pytest.mark.parametrize('pair', _config_pairs(), ids=lambda p: p[0])
def test_base_weights_start_as_in_the_baseline_twin(pair):
    """Every conv of the base network has its twin's weight distribution.

    Pooled over 2 builds; the std ratio must be within 10% (or, for layers
    too small to measure that, within 4 standard errors). The reference
    init on the max fan-in made them 5-17x smaller.
    """
    seeds = (0, 1)
    netaug = _pooled_conv_weights(pair[0], True, seeds)
    stock = _pooled_conv_weights(pair[1], False, seeds)
    assert netaug.keys() == stock.keys()
    bad = []
    for key, values in stock.items():
        n = values.numel()
        tol = max(0.10, 4 / math.sqrt(n))
        ratio = float(netaug[key].std() / values.std())
        if abs(ratio - 1) > tol:
            bad.append(f'{key}: std ratio {ratio:.3f} (n={n})')
    assert not bad, '\n'.join(bad)


def test_wide_channels_keep_the_reference_init():
    torch.manual_seed(0)
    model = NetAugMobileNetV2(widen_factor=0.35, out_indices=(2, 4, 6),
                              init_cfg=None)
    model.init_weights()
    conv = model.layer7[0].expand_conv.conv  # 112 -> 672 base, 1882 max
    wide = conv.weight[672:].detach()
    fan_in = conv.weight[0].numel()
    # kaiming-uniform, a=sqrt(5): U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert float(wide.abs().max()) <= 1 / math.sqrt(fan_in)
    assert float(wide.std()) == pytest.approx(1 / math.sqrt(3 * fan_in),
                                              rel=0.05)


def test_pretrained_backbone_is_not_reinitialised(tmp_path):
    from mmdet.models.backbones import MobileNetV2
    stock = MobileNetV2(widen_factor=0.35, out_indices=(2, 4, 6))
    stock.init_weights()
    path = str(tmp_path / 'mbv2.pth')
    torch.save(stock.state_dict(), path)
    model = NetAugMobileNetV2(widen_factor=0.35, out_indices=(2, 4, 6),
                              pretrained=path)
    model.init_weights()
    weight = model.conv1.conv.weight[:stock.conv1.conv.weight.size(0)]
    assert torch.equal(weight, stock.conv1.conv.weight)


def _backbone(**kwargs):
    return NetAugMobileNetV2(widen_factor=0.35, out_indices=(2, 4, 6),
                             **kwargs)


def test_checkpoint_of_other_widths_is_refused():
    model = _backbone()
    other = _backbone(width_factors=(1.0, 2.0),
                      expand_factors=(1.0, 2.0)).state_dict()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match='neither the supernet'):
        model.load_state_dict(other)
    # nothing was half-loaded before the error
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_checkpoint_of_other_widths_is_refused_by_mmengine(tmp_path):
    from mmengine.runner import load_checkpoint
    path = str(tmp_path / 'other.pth')
    other = NetAugMobileNetV2(widen_factor=0.5, out_indices=(2, 4, 6))
    torch.save({'state_dict': other.state_dict()}, path)
    with pytest.raises(ValueError, match='neither the supernet'):
        load_checkpoint(_backbone(), path, map_location='cpu',
                        logger='silent')


def test_supernet_and_base_checkpoints_load():
    from mmdet.models.backbones import MobileNetV2
    model = _backbone()
    model.load_state_dict(_backbone().state_dict())  # supernet
    stock = MobileNetV2(widen_factor=0.35, out_indices=(2, 4, 6))
    model.load_state_dict(stock.state_dict())  # base network
    n = stock.conv1.conv.weight.size(0)
    assert torch.equal(model.conv1.conv.weight[:n], stock.conv1.conv.weight)


def test_neck_and_tiny_backbone_refuse_other_widths():
    neck = NetAugYOLOV3Neck(3, [112, 32, 16], [64, 64, 64])
    other = NetAugYOLOV3Neck(3, [112, 32, 16], [48, 48, 48]).state_dict()
    with pytest.raises(ValueError, match='neither the supernet'):
        neck.load_state_dict(other)
    mcunet = NetAugMCUNet()
    other = NetAugMCUNet(width_factors=(1.0, 1.3)).state_dict()
    with pytest.raises(ValueError, match='neither the supernet'):
        mcunet.load_state_dict(other)
