"""One rounding rule: any NetAug backbone with ``augment_outputs=True``
feeds any NetAug neck (and the neck its head) at max width and at sampled
configurations, with nothing but the factor lists in the config."""
import pytest
import torch
import torch.nn as nn

from mmnetaug.models import (NetAugMCUNet, NetAugMobileNetV2,
                             NetAugMobileNetV3Large, NetAugProxylessNASMobile,
                             NetAugSSDHead, NetAugSSDNeck,
                             NetAugTinyMobileNetV2, NetAugYOLOV3Head,
                             NetAugYOLOV3Neck)
from mmnetaug.space import WIDTH, netaug_choices, sample_wide, set_base, \
    set_max
from mmnetaug.widths import (INTERFACE_RULE, REFERENCE, MMDET, make_widths,
                             round_width)

BACKBONES = {
    'mbv2': lambda: NetAugMobileNetV2(widen_factor=0.35,
                                      out_indices=(2, 4, 6),
                                      augment_outputs=True),
    'tinymbv2': lambda: NetAugTinyMobileNetV2(augment_outputs=True),
    'mcunet': lambda: NetAugMCUNet(augment_outputs=True),
    'proxylessnas': lambda: NetAugProxylessNASMobile(augment_outputs=True),
    'mbv3': lambda: NetAugMobileNetV3Large(augment_outputs=True),
}
NUM_SAMPLES = 4
INPUT = 64


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_rules():
    # mmdet's make_divisible(v, 8) and the reference's round half up
    assert round_width(105.6, MMDET) == 104
    assert round_width(105.6, REFERENCE) == 106
    assert round_width(2.5, REFERENCE) == 3  # half up, not to even
    assert make_widths(48, (1.0, 1.6, 2.2), REFERENCE) == (48, 77, 106)
    assert make_widths(48, (1.0, 1.6, 2.2), MMDET) == (48, 80, 104)
    # the base width is kept as it is, even where the rule would round it
    assert make_widths(20, (1.0, 1.8), MMDET) == (20, 40)
    assert INTERFACE_RULE == MMDET
    with pytest.raises(ValueError, match='rule'):
        round_width(10.0, 'nearest')


def _yolo(backbone, neck_factors):
    """YOLOv3 neck and head on the backbone's outputs (deepest first)."""
    ins = [c.base for c in backbone.out_width_choices()][::-1]
    kwargs = dict(in_width_factors=backbone.width_factors) \
        if neck_factors is not None else {}
    neck = NetAugYOLOV3Neck(
        num_scales=3, in_channels=ins, out_channels=[24, 16, 8],
        width_factors=neck_factors or backbone.width_factors,
        augment_outputs=True, **kwargs)
    head = NetAugYOLOV3Head(
        num_classes=2, in_channels=[24, 16, 8], out_channels=[24, 16, 8],
        width_factors=neck.width_factors, augment_head=True)
    return neck, head


def _ssdlite(backbone):
    """SSDLite neck (two extra layers) and head on the backbone's outputs."""
    ins = [c.base for c in backbone.out_width_choices()]
    outs = ins + [32, 16]
    neck = NetAugSSDNeck(
        in_channels=ins, out_channels=outs, level_strides=(2, 2),
        level_paddings=(1, 1), l2_norm_scale=None, use_depthwise=True,
        norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU6'),
        width_factors=backbone.width_factors, augment_outputs=True)
    head = NetAugSSDHead(
        num_classes=2, in_channels=outs, use_depthwise=True,
        norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU6'),
        in_width_factors=backbone.width_factors,
        anchor_generator=dict(
            type='SSDAnchorGenerator', scale_major=False,
            strides=[8, 16, 32, 64, 128], ratios=[[2, 3]] * 5,
            min_sizes=[8, 16, 24, 32, 48], max_sizes=[16, 24, 32, 48, 64]))
    return neck, head


def _check_chain(backbone, neck, head):
    model = nn.ModuleList([backbone, neck, head]).eval()
    # consumers are allocated for exactly the producer's widest output
    producer = [c.max for c in backbone.out_width_choices()]
    if isinstance(neck, NetAugYOLOV3Neck):
        producer = producer[::-1]
    assert neck.max_in_channels == producer
    x = torch.randn(1, 3, INPUT, INPUT)
    gen = torch.Generator().manual_seed(0)
    configs = [set_max] + [
        lambda m: sample_wide(m, gen) for _ in range(NUM_SAMPLES)
    ] + [set_base]
    with torch.no_grad():
        for configure in configs:
            configure(model)
            feats = backbone(x)
            widths = [f.size(1) for f in feats]
            assert widths == [c.value for c in backbone.out_width_choices()]
            outs = head(neck(feats))
            assert all(torch.isfinite(t).all() for o in outs for t in o)


@pytest.mark.parametrize('name', sorted(BACKBONES))
@pytest.mark.parametrize('neck_factors', [None, (1.0, 1.8, 2.6)],
                         ids=['backbone_factors', 'own_factors'])
def test_every_backbone_feeds_the_yolo_neck(name, neck_factors):
    backbone = BACKBONES[name]()
    assert any(len(c.choices) > 1 for c in backbone.out_width_choices())
    _check_chain(backbone, *_yolo(backbone, neck_factors))


@pytest.mark.parametrize('name', sorted(BACKBONES))
def test_every_backbone_feeds_the_ssdlite_neck(name):
    backbone = BACKBONES[name]()
    _check_chain(backbone, *_ssdlite(backbone))


def test_the_issues_mcunet_yolo_case():
    """NetAugMCUNet(augment_outputs=True) + NetAugYOLOV3Neck with its
    factors failed at max width: 106 channels into weights for 104."""
    backbone = NetAugMCUNet(augment_outputs=True)
    neck = NetAugYOLOV3Neck(num_scales=3, in_channels=[160, 48, 24],
                            out_channels=[32, 16, 8],
                            width_factors=(1.0, 1.6, 2.2))
    model = nn.ModuleList([backbone, neck]).eval()
    set_max(model)
    with torch.no_grad():
        outs = neck(backbone(torch.randn(1, 3, INPUT, INPUT)))
    assert [o.size(1) for o in outs] == [32, 16, 8]


def test_output_knobs_follow_the_interface_rule_inner_ones_their_own():
    mcunet = NetAugMCUNet(augment_outputs=True)
    outs = mcunet.out_width_choices()
    for knob in outs:
        assert knob.choices == make_widths(knob.base, mcunet.width_factors,
                                           INTERFACE_RULE)
    # the others keep the reference rounding (stem: 16 x 1.6 = 25.6 -> 26)
    assert mcunet.stem_choice.choices == (16, 26, 35)
    inner = [k for k in netaug_choices(mcunet)
             if k.kind == WIDTH and all(k is not o for o in outs)]
    assert inner and all(
        k.choices == make_widths(k.base, mcunet.width_factors, REFERENCE)
        for k in inner)


def test_too_narrow_allocation_names_the_fields():
    backbone = NetAugMobileNetV3Large(augment_outputs=True)  # 1.0, 2.0, 3.0
    ins = [c.base for c in backbone.out_width_choices()][::-1]
    neck = NetAugYOLOV3Neck(num_scales=3, in_channels=ins,
                            out_channels=[16, 16, 16],
                            width_factors=(1.0, 1.8, 2.6))
    set_max(backbone)
    with pytest.raises(ValueError, match='in_width_factors'):
        neck(backbone.eval()(torch.randn(1, 3, INPUT, INPUT)))
