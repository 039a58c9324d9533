"""NetAug YOLOv3 neck and head: stock equivalence, sub-network property,
export of the neck/neckhead configs, and a short NetAug training run."""
import functools

import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st
from mmdet.models.dense_heads import YOLOV3Head
from mmdet.models.necks import YOLOV3Neck
from mmengine.runner import Runner

from mmnetaug.export import build_detector, export, export_config, max_abs_diff
from mmnetaug.models import NetAugYOLOV3Head, NetAugYOLOV3Neck
from mmnetaug.space import (current_config, netaug_choices, sample_wide,
                            set_base, set_config, set_max, unwrap)
from detector_helpers import (_one_thread, load_cfg, moved_regions,  # noqa
                              load_exported, n_params, randomise_bn,
                              sampled_detector, silence_wide, static_twin,
                              wide_only_regions)
from helpers import shapes_data, tiny_cfg

NUM_CLASSES = 3
# Small enough for 2 CPU cores; the config types stay the real ones.
TINY_YOLO = dict(
    model=dict(
        backbone=dict(widen_factor=0.35),
        neck=dict(in_channels=[112, 32, 16], out_channels=[32, 32, 32]),
        bbox_head=dict(
            num_classes=NUM_CLASSES,
            in_channels=[32, 32, 32],
            out_channels=[32, 32, 32])))
# MobileNetV2 x0.35 outputs (16, 32, 112) and their widest choices (x2.6).
BASE_FEATS = [16, 32, 112]
MAX_FEATS = [40, 80, 288]


# ---- the neck and head against their stock twins --------------------------
def _feats(widths, batch=2, size=32):
    """Backbone features, high resolution first (as the backbone gives)."""
    return [
        torch.randn(batch, c, size >> i, size >> i)
        for i, c in enumerate(widths)
    ]


@pytest.mark.parametrize('augment_outputs', [False, True])
@pytest.mark.parametrize('in_channels, out_channels',
                         [([112, 32, 16], [32, 32, 32]),
                          ([96, 40], [48, 24])])
def test_yolo_neck_base_equals_stock(in_channels, out_channels,
                                     augment_outputs):
    n = len(in_channels)
    stock = YOLOV3Neck(n, in_channels, out_channels)
    stock.init_weights()
    randomise_bn(stock)
    neck = NetAugYOLOV3Neck(n, in_channels, out_channels,
                            augment_outputs=augment_outputs)
    # a stock checkpoint loads into the supernet (concatenations included)
    neck.load_state_dict(stock.state_dict(), strict=True)
    stock.eval()
    neck.eval()
    feats = _feats(in_channels[::-1])
    with torch.no_grad():
        outs, ref = neck(feats), stock(feats)
    assert [o.shape for o in outs] == [r.shape for r in ref]
    assert max_abs_diff(outs, ref) <= 1e-5
    # and back: the static base network is the stock module, name for name
    static = static_twin(neck, lambda m: m(feats))
    assert list(static.state_dict()) == list(stock.state_dict())
    for key, value in stock.state_dict().items():
        assert torch.equal(static.state_dict()[key], value), key


@pytest.mark.parametrize('augment_head', [False, True])
def test_yolo_head_base_equals_stock(augment_head):
    args = dict(num_classes=NUM_CLASSES, in_channels=[32, 24, 16],
                out_channels=[48, 32, 24])
    stock = YOLOV3Head(**args)
    stock.init_weights()
    randomise_bn(stock)
    for conv in stock.convs_pred:  # not the init's near-zero weights
        nn.init.normal_(conv.weight, std=0.1)
    head = NetAugYOLOV3Head(**args, augment_head=augment_head)
    head.load_state_dict(stock.state_dict(), strict=True)
    stock.eval()
    head.eval()
    feats = _feats(args['in_channels'], size=16)
    with torch.no_grad():
        (outs, ), (ref, ) = head(feats), stock(feats)
    assert max_abs_diff(outs, ref) <= 1e-5
    # the supernet's bridge is wider only when augment_head
    bridge = head.convs_bridge[0].conv
    assert (bridge.out_channels > 48) == augment_head
    assert bridge.in_channels == 80  # reads inputs up to 2.6x wide


@pytest.mark.parametrize('augment_outputs', [False, True])
def test_yolo_neck_base_is_a_subnetwork_of_max(augment_outputs):
    """Silenced wide channels: max width computes the base output.

    This fails if the conv after a concatenation took the leading channels
    of the whole input instead of the leading channels of each part.
    """
    neck = NetAugYOLOV3Neck(3, [112, 32, 16], [32, 32, 32],
                            augment_outputs=augment_outputs)
    randomise_bn(neck)
    base_feats = _feats(BASE_FEATS)
    quiet = silence_wide(neck, lambda m: m(base_feats))
    with torch.no_grad():
        base = quiet(base_feats)
        set_max(quiet)
        padded = [
            nn.functional.pad(f, (0, 0, 0, 0, 0, c - f.size(1)))
            for f, c in zip(base_feats, MAX_FEATS)
        ]
        wide = quiet(padded)
    for b, w in zip(base, wide):
        assert (w.size(1) > b.size(1)) == augment_outputs
        assert (w[:, :b.size(1)] - b).abs().max() <= 1e-5
        assert torch.all(w[:, b.size(1):] == 0)
    # without silencing, the wide channels do change the output
    set_max(neck)
    neck.eval()
    with torch.no_grad():
        loud = neck(padded)
    assert max((w[:, :b.size(1)] - b).abs().max()
               for w, b in zip(loud, base)) > 1e-3


def test_yolo_neck_knobs():
    neck = NetAugYOLOV3Neck(3, [112, 32, 16], [32, 32, 32])
    knobs = netaug_choices(neck)
    assert all(k.index == 0 for k in knobs)
    # per block n and 2n, per lateral conv one; outputs fixed
    assert len(knobs) == 3 * 2 + 2
    assert neck.detect1.mid_choice.choices == (32, 56, 80)
    assert neck.detect1.wide_choice.choices == (64, 112, 168)
    assert neck.detect2.conv1.conv.in_channel_groups == (80, 80)
    wide = NetAugYOLOV3Neck(3, [112, 32, 16], [32, 32, 32],
                            augment_outputs=True)
    assert len(netaug_choices(wide)) == 3 * 3 + 2
    # fixed inputs: no weights are allocated for wide inputs
    fixed = NetAugYOLOV3Neck(3, [112, 32, 16], [32, 32, 32],
                             in_width_factors=(1.0, ))
    assert fixed.detect1.conv1.conv.in_channels == 112
    assert fixed.detect2.conv1.conv.in_channel_groups == (80, 32)


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_scales=2), 'num_scales=2 must equal'),
    (dict(width_factors=(1.8, 2.6)), 'width_factors.*lacks 1.0'),
    (dict(in_width_factors=(2.6, 1.0)), 'in_width_factors.*sorted'),
    (dict(norm_cfg=dict(type='GN', num_groups=4)), 'norm_cfg'),
])
def test_yolo_neck_bad_arguments(kwargs, match):
    args = dict(num_scales=3, in_channels=[112, 32, 16],
                out_channels=[32, 32, 32])
    with pytest.raises(ValueError, match=match):
        NetAugYOLOV3Neck(**dict(args, **kwargs))


def test_too_wide_input_names_the_field():
    neck = NetAugYOLOV3Neck(3, [112, 32, 16], [32, 32, 32],
                            in_width_factors=(1.0, 1.8))
    with pytest.raises(ValueError, match='in_width_factors'):
        neck(_feats(MAX_FEATS))
    head = NetAugYOLOV3Head(num_classes=3, in_channels=[32] * 3,
                            out_channels=[32] * 3, in_width_factors=(1.0, ))
    with pytest.raises(ValueError, match='in_width_factors'):
        head(_feats([40, 32, 32]))


# ---- whole detector: sampled configurations -------------------------------
@functools.lru_cache(maxsize=None)
def _tiny_neckhead():
    return sampled_detector('netaug_yolo_mbv2_neckhead.py', TINY_YOLO)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_sampled_yolo_configs_are_consistent(seed):
    model, quiet, inputs, base = _tiny_neckhead()
    sample_wide(model, torch.Generator().manual_seed(seed))
    config = current_config(model)
    neck, head = model.neck, model.bbox_head

    # forward + backward at the sampled widths
    model.train()
    model.zero_grad()
    feats = model.extract_feat(inputs)
    assert [f.size(1) for f in feats] == [
        getattr(neck, f'detect{i}').out_choice.value for i in (1, 2, 3)
    ]
    (preds, ) = head(feats)
    assert [tuple(p.shape) for p in preds] == [
        (2, 3 * (5 + NUM_CLASSES), s, s) for s in (2, 4, 8)
    ]
    sum(p.square().mean() for p in preds).backward()
    # gradients reach exactly the active channels of each concatenation part
    conv = neck.detect2.conv1.conv
    rows = neck.detect2.mid_choice.value
    up_width = neck.lateral_choices[0].value
    in_width = model.backbone.stage_choices[4].value
    lateral_max = conv.in_channel_groups[0]
    active = torch.zeros_like(conv.weight, dtype=torch.bool)
    active[:rows, :up_width] = True
    active[:rows, lateral_max:lateral_max + in_width] = True
    assert torch.all(conv.weight.grad[~active] == 0)
    assert conv.weight.grad[active].abs().sum() > 0
    assert all(p.grad is not None for p in head.parameters())

    # eval: the sub-network frozen into static layers computes the same
    model.eval()
    with torch.no_grad():
        outs = model._forward(inputs)
    twin = static_twin(model, lambda m: m._forward(inputs))
    with torch.no_grad():
        assert max_abs_diff(twin._forward(inputs), outs) <= 1e-5

    # with its wide channels silenced, any configuration is the base net
    set_config(quiet, config)
    with torch.no_grad():
        assert max_abs_diff(quiet._forward(inputs), base) <= 1e-5
    set_base(model)


# ---- configs and export ---------------------------------------------------
@pytest.mark.parametrize('name, replaced', [
    ('netaug_yolo_mbv2_neck.py', {'NetAugYOLOV3Neck'}),
    ('netaug_yolo_mbv2_neckhead.py', {'NetAugYOLOV3Neck',
                                      'NetAugYOLOV3Head'}),
])
def test_yolo_configs_differ_from_baseline_only_by_netaug(name, replaced):
    cfg = load_cfg(name)
    stock, names = export_config(cfg)
    assert replaced | {'NetAugMobileNetV2', 'NetAugTrainLoop',
                       'NetAugHook'} == set(names)
    baseline = load_cfg('baseline_yolo_mbv2.py')
    assert stock.model.to_dict() == baseline.model.to_dict()
    assert stock.train_cfg.to_dict() == baseline.train_cfg.to_dict()
    assert cfg.model.backbone.augment_outputs
    assert cfg.model.neck.augment_outputs == ('neckhead' in name)


@pytest.mark.parametrize('name, via_checkpoint', [
    ('netaug_yolo_mbv2_neck.py', False),
    ('netaug_yolo_mbv2_neckhead.py', True),
])
def test_yolo_export_loads_strictly_into_stock(tmp_path, name,
                                               via_checkpoint):
    cfg = load_cfg(name, TINY_YOLO)
    model = build_detector(cfg)
    randomise_bn(model)
    if via_checkpoint:
        ckpt = tmp_path / 'supernet.pth'
        torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
        result = export(cfg, str(ckpt), str(tmp_path / 'out'))
    else:
        result = export(cfg, None, str(tmp_path / 'out'), model=model)
    stock = load_exported(result, model)
    inputs = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        set_max(model)  # the supernet is really wider than what was saved
        assert max_abs_diff(stock._forward(inputs),
                            model._forward(inputs)) > 1e-3
    baseline = build_detector(load_cfg('baseline_yolo_mbv2.py', TINY_YOLO))
    assert n_params(stock) == result['params'] == n_params(baseline)
    assert n_params(model) > 2 * n_params(baseline)


# ---- a short NetAug training run ------------------------------------------
def test_netaug_training_of_yolo_neckhead(tmp_path):
    data_root = shapes_data(tmp_path / 'shapes', num_train=8)
    cfg = tiny_cfg(data_root, tmp_path / 'work', epochs=1)
    netaug = load_cfg('netaug_yolo_mbv2_neckhead.py').model
    cfg.model.backbone.augment_outputs = True
    cfg.model.neck = dict(netaug.neck, in_channels=[112, 32, 16],
                          out_channels=[64, 64, 64])
    cfg.model.bbox_head.update(
        type=netaug.bbox_head.type,
        width_factors=netaug.bbox_head.width_factors,
        augment_head=True)
    cfg.optim_wrapper.optimizer.weight_decay = 0.0  # only gradients move
    runner = Runner.from_cfg(cfg)
    model = unwrap(runner.model)
    regions = wide_only_regions(model, ('neck', 'bbox_head'))
    params = dict(model.named_parameters())
    before = {k: params[k].detach().clone() for k in regions}
    runner.train()

    hub = runner.message_hub
    aug = hub.get_scalar('train/aug_loss').data[0]
    assert len(aug) == 2 and all(torch.isfinite(torch.tensor(aug)))
    assert max(hub.get_scalar('train/width_factor').data[0]) > 1.0
    # the wide pass trained channels that only the wide networks have
    moved = moved_regions(model, regions, before)
    assert any(k.startswith('neck.') for k in moved)
    assert any(k.startswith('bbox_head.convs_bridge') for k in moved)
    exported = hub.get_info('netaug_export')
    assert exported['max_abs_diff'] <= 1e-5
    text = open(exported['config']).read()
    assert "type='YOLOV3Neck'" in text and "type='YOLOV3Head'" in text
