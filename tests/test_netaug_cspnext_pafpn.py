"""NetAugCSPNeXtPAFPN: stock equivalence at base width (RTMDet-tiny neck,
plain and depthwise), the sub-network property across its
concatenations, sampled configs against their static twins, and an
RTMDet-tiny whose backbone, neck and head are all NetAug (every width
augmented) that trains one NetAug step and exports to stock mmdet."""
import pytest
import torch
import torch.nn as nn
from mmdet.models.dense_heads import RTMDetSepBNHead
from mmdet.models.necks import CSPNeXtPAFPN
from mmengine.config import Config

from mmnetaug.export import (build_detector, export, export_config,
                             max_abs_diff)
from mmnetaug.models import NetAugCSPNeXtPAFPN
from mmnetaug.space import (current_config, netaug_choices, sample_wide,
                            set_base, set_config, set_max)
from detector_helpers import (_one_thread, load_exported,  # noqa: F401
                              moved_regions, randomise_bn, silence_wide,
                              static_twin, wide_only_regions)

# mmdet's rtmdet_tiny neck arguments
TINY = dict(in_channels=[96, 192, 384], out_channels=96, num_csp_blocks=1)
TINY_DW = dict(TINY, use_depthwise=True)
SETTINGS = dict(tiny=TINY, tiny_dw=TINY_DW)


def _feats(widths, batch=2, size=16, seed=1):
    """Backbone features, high resolution first (as the backbone gives)."""
    gen = torch.Generator().manual_seed(seed)
    return [
        torch.randn(batch, c, size >> i, size >> i, generator=gen)
        for i, c in enumerate(widths)
    ]


def _pad(feats, widths):
    return [
        nn.functional.pad(f, (0, 0, 0, 0, 0, c - f.size(1)))
        for f, c in zip(feats, widths)
    ]


@pytest.mark.parametrize('setting, augment_outputs', [('tiny', False),
                                                     ('tiny', True),
                                                     ('tiny_dw', False)])
def test_base_width_equals_stock(setting, augment_outputs):
    kwargs = SETTINGS[setting]
    stock = CSPNeXtPAFPN(**kwargs)
    stock.init_weights()
    randomise_bn(stock)
    neck = NetAugCSPNeXtPAFPN(**kwargs, augment_outputs=augment_outputs)
    # a stock state dict loads into the leading slice of every part
    neck.load_state_dict(stock.state_dict(), strict=True)
    stock.eval()
    neck.eval()
    feats = _feats(kwargs['in_channels'])
    with torch.no_grad():
        outs, ref = neck(feats), stock(feats)
    assert [o.shape for o in outs] == [r.shape for r in ref]
    diff = max_abs_diff(outs, ref)
    assert diff <= 1e-5, diff
    # and back: the static base neck is the stock module, name for name
    static = static_twin(neck, lambda m: m(feats))
    assert list(static.state_dict()) == list(stock.state_dict())
    for key, value in stock.state_dict().items():
        assert torch.equal(static.state_dict()[key], value), key


def test_knobs_and_concat_groups():
    neck = NetAugCSPNeXtPAFPN(**TINY)
    knobs = netaug_choices(neck)
    assert all(k.index == 0 for k in knobs)
    # 2 reduce + 2 downsample convs, 4 CSP layers x (branch, output), one
    # expand knob per block; out convs fixed (stock RTMDetSepBNHead)
    assert len(knobs) == 2 + 2 + 4 * 2 + 4
    # top_down_blocks[0] reads cat(upsampled reduce output, input 1):
    # 192 x 2.6 -> 496 each (input 1 allocated for in_width_factors)
    block = neck.top_down_blocks[0]
    assert block.main_conv.conv.in_channel_groups == (496, 496)
    assert block.short_conv.conv.in_channel_groups == (496, 496)
    assert not hasattr(block, 'attention')  # as mmdet's neck
    fixed = NetAugCSPNeXtPAFPN(**TINY, in_width_factors=(1.0, ))
    assert fixed.top_down_blocks[0].main_conv.conv.in_channel_groups == (
        496, 192)
    assert fixed.reduce_layers[0].conv.in_channels == 384
    wide = NetAugCSPNeXtPAFPN(**TINY, augment_outputs=True)
    assert len(netaug_choices(wide)) == len(knobs) + 3
    assert wide.out_convs[0].conv.kernel_size == (3, 3)


@pytest.mark.parametrize('augment_outputs', [False, True])
def test_base_is_a_subnetwork_of_max(augment_outputs):
    """Silenced wide channels and zero-padded inputs: the widest neck
    computes the base output. Fails if a CSP layer read the leading
    channels of a whole concatenation instead of each part's."""
    neck = NetAugCSPNeXtPAFPN(**TINY, augment_outputs=augment_outputs)
    randomise_bn(neck)
    feats = _feats(TINY['in_channels'], batch=1)
    quiet = silence_wide(neck, lambda m: m(feats))
    with torch.no_grad():
        base = quiet(feats)
        set_max(quiet)
        wide = quiet(_pad(feats, neck.max_in_channels))
    for b, w in zip(base, wide):
        assert (w.size(1) > b.size(1)) == augment_outputs
        assert (w[:, :b.size(1)] - b).abs().max() <= 1e-5
        assert not w[:, b.size(1):].any()
    # the wide channels do change the output when not silenced
    set_max(neck)
    neck.eval()
    with torch.no_grad():
        loud = neck(_pad(feats, neck.max_in_channels))
    assert max_abs_diff([w[:, :b.size(1)] for w, b in zip(loud, base)],
                        base) > 1e-3


@pytest.mark.parametrize('setting', ['tiny', 'tiny_dw'])
def test_sampled_configs_equal_their_static_twins(setting):
    neck = NetAugCSPNeXtPAFPN(**SETTINGS[setting], augment_outputs=True)
    randomise_bn(neck)
    gen = torch.Generator().manual_seed(5)
    for _ in range(2):
        sample_wide(neck, gen)
        widths = [
            int(c * 1.8) // 8 * 8 for c in TINY['in_channels']
        ]  # inputs wider than base, narrower than the widest
        feats = _feats(widths, batch=1)
        neck.train()
        outs = neck(feats)
        assert [o.size(1) for o in outs] == [
            k.value for k in neck.out_width_choices()
        ]
        sum(o.mean() for o in outs).backward()
        neck.eval()
        with torch.no_grad():
            outs = neck(feats)
        twin = static_twin(neck, lambda m: m(feats))
        with torch.no_grad():
            assert max_abs_diff(twin(feats), outs) <= 1e-5


def test_too_wide_input_and_bad_arguments_name_the_field():
    neck = NetAugCSPNeXtPAFPN(**TINY, in_width_factors=(1.0, 1.8))
    with pytest.raises(ValueError, match='in_width_factors'):
        neck(_feats([256, 192, 384]))
    with pytest.raises(ValueError, match='expects 3 feature maps'):
        neck(_feats([96, 192]))
    with pytest.raises(ValueError, match='width_factors.*lacks 1.0'):
        NetAugCSPNeXtPAFPN(**TINY, width_factors=(1.8, 2.6))
    with pytest.raises(ValueError, match='expand_factors.*sorted'):
        NetAugCSPNeXtPAFPN(**TINY, expand_factors=(1.0, 2.2, 1.6))
    with pytest.raises(ValueError, match='expand_ratio must be > 0'):
        NetAugCSPNeXtPAFPN(**TINY, expand_ratio=0)
    with pytest.raises(ValueError, match='in_channels'):
        NetAugCSPNeXtPAFPN(in_channels=[96], out_channels=96)


# ---- RTMDet-tiny with NetAug backbone, neck and head -----------------------
# mmdet's config starts the backbone from an ImageNet checkpoint URL; the
# tests start from scratch (init_cfg=None), the twin too
RTMDET_TINY = '''
_base_ = 'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py'
custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)
model = dict(
    backbone=dict(type='mmnetaug.NetAugCSPNeXt', augment_outputs=True,
                  init_cfg=None),
    neck=dict(type='mmnetaug.NetAugCSPNeXtPAFPN', augment_outputs=True),
    bbox_head=dict(type='mmnetaug.NetAugRTMDetSepBNHead', augment_head=True,
                   num_classes=3))
'''


def test_rtmdet_tiny_all_netaug_samples_and_exports(tmp_path):
    path = tmp_path / 'netaug_rtmdet_tiny_neck.py'
    path.write_text(RTMDET_TINY)
    cfg = Config.fromfile(str(path))
    _, replaced = export_config(cfg)
    assert set(replaced) == {
        'NetAugCSPNeXt', 'NetAugCSPNeXtPAFPN', 'NetAugRTMDetSepBNHead'
    }
    model = build_detector(cfg)
    randomise_bn(model)
    inputs = torch.randn(1, 3, 64, 64,
                         generator=torch.Generator().manual_seed(2))
    quiet = silence_wide(model, lambda m: m._forward(inputs))
    with torch.no_grad():
        base = quiet._forward(inputs)
    gen = torch.Generator().manual_seed(0)
    for _ in range(2):
        sample_wide(model, gen)
        # backbone and neck outputs wider than base reach the next module
        model.train()
        feats = model.backbone(inputs)
        assert [f.size(1) for f in feats] == [
            k.value for k in model.backbone.out_width_choices()
        ]
        assert [f.size(1) for f in model.neck(feats)] == [
            k.value for k in model.neck.out_width_choices()
        ]
        outs = model._forward(inputs)
        sum(t.mean() for level in outs for t in level).backward()
        # the silenced copy at this configuration is the base network
        set_config(quiet, current_config(model))
        with torch.no_grad():
            assert max_abs_diff(quiet._forward(inputs), base) <= 1e-5
    set_base(model)
    result = export(cfg, None, str(tmp_path / 'out'), model=model)
    stock = load_exported(result, model)  # strict, outputs <= 1e-5
    assert type(stock.neck) is CSPNeXtPAFPN
    assert type(stock.bbox_head) is RTMDetSepBNHead
    twin_path = tmp_path / 'rtmdet_tiny.py'
    twin_path.write_text(
        "_base_ = 'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py'\n"
        'model = dict(backbone=dict(init_cfg=None), '
        'bbox_head=dict(num_classes=3))\n')
    twin = build_detector(Config.fromfile(str(twin_path)))
    assert result['params'] == sum(p.numel() for p in twin.parameters())


def test_netaug_step_on_rtmdet_tiny(tmp_path):
    """One NetAug step (base pass + one sampled wide pass, one SGD update)
    on RTMDet-tiny with NetAug backbone, neck and head: finite losses,
    weights only the wide networks use get trained, the model ends at base
    width and the wide pass leaves the BN running statistics alone."""
    from mmdet.structures import DetDataSample
    from mmengine.optim import OptimWrapper
    from mmengine.structures import InstanceData

    from mmnetaug.engine.netaug_step import netaug_train_step
    from mmnetaug.ops import DynamicBatchNorm2d

    path = tmp_path / 'netaug_rtmdet_tiny_neck.py'
    path.write_text(RTMDET_TINY)
    model = build_detector(Config.fromfile(str(path))).train()
    gen = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(2):
        sample = DetDataSample(metainfo=dict(
            img_shape=(64, 64), ori_shape=(64, 64), scale_factor=(1., 1.),
            pad_shape=(64, 64), batch_input_shape=(64, 64)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[8., 8., 40., 48.]]),
            labels=torch.tensor([1]))
        samples.append(sample)
    batch = dict(
        inputs=[torch.randint(0, 255, (3, 64, 64), generator=gen,
                              dtype=torch.uint8) for _ in range(2)],
        data_samples=samples)
    regions = wide_only_regions(model, ('backbone', 'neck', 'bbox_head'))
    params = dict(model.named_parameters())
    before = {k: params[k].detach().clone() for k in regions}
    model.train()
    bn = model.backbone.stage2[1].final_conv.bn
    tracked = int(bn.num_batches_tracked)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    log_vars, config = netaug_train_step(
        model, batch, optim, torch.Generator().manual_seed(3),
        freeze_wide_bn=True)
    assert any(i > 0 for i in config)
    assert torch.isfinite(log_vars['loss']) and torch.isfinite(
        log_vars['aug_loss'])
    assert all(k.index == 0 for k in netaug_choices(model))
    # the wide pass trained weights that only the wide networks use, in
    # the backbone, the neck and the head
    moved = moved_regions(model, regions, before)
    for part in ('backbone.', 'neck.', 'bbox_head.'):
        assert any(k.startswith(part) for k in moved), part
    assert isinstance(bn, DynamicBatchNorm2d)
    assert int(bn.num_batches_tracked) == tracked + 1  # the base pass only
