"""The paper's tiny backbones: architecture, NetAug twins, checkpoints,
YOLOv3 training and export."""
import importlib.util
import math
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmnetaug.models.classifiers import build_imagenet_classifier
from benchmarks.tiny_profile import profile
from mmdet.models.backbones import MobileNetV2
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint

from mmnetaug.export import build_detector, to_static
from mmnetaug.models import (MCUNet, MobileNetV3Large, NetAugMCUNet,
                             NetAugMobileNetV2, NetAugMobileNetV3Large,
                             NetAugProxylessNASMobile, NetAugTinyMobileNetV2,
                             ProxylessNASMobile, TinyMobileNetV2)
from mmnetaug.models.layers import (NetAugSELayer, NetAugTinyInvertedResidual,
                                    TinyInvertedResidual)
from mmnetaug.space import (EXPAND, WIDTH, netaug_choices, sample_wide,
                            set_base, set_max)
from helpers import PIPELINE, shapes_data

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CFG_DIR = osp.join(ROOT, 'configs', 'tiny_backbones')

# static class, NetAug class, reference arch, last layer index, config key
MODELS = {
    'tinymbv2': (TinyMobileNetV2, NetAugTinyMobileNetV2, 'tinymbv2', 7),
    'mcunet': (MCUNet, NetAugMCUNet, 'mcunet', 6),
    'proxylessnas':
    (ProxylessNASMobile, NetAugProxylessNASMobile, 'proxylessnas-0.35', 7),
    'mbv3': (MobileNetV3Large, NetAugMobileNetV3Large, 'mbv3-0.35', 6),
}


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """Tiny tensors: intra-op threads only add sync cost (x100 when the two
    cores are busy with other work), so run this module single-threaded."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _randomise(model):
    """Non-trivial BN statistics and affine/bias values."""
    gen = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.rand(c, generator=gen) - 0.5)
            m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=gen) + 0.5)
            m.bias.data.copy_(torch.rand(c, generator=gen) * 0.4 - 0.2)
        elif isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and \
                m.bias is not None:
            m.bias.data.copy_(torch.randn(m.bias.shape, generator=gen) * .1)
    return model


def _close(outs, refs, atol=1e-5):
    assert len(outs) == len(refs)
    for a, b in zip(outs, refs):
        assert a.shape == b.shape
        assert (a - b).abs().max() <= atol


# --------------------------------------------------------------------------
# 1. Sizes against the paper and against an independent count of the
#    reference tables (mit-han-lab/tinyml netaug/models/base).
# --------------------------------------------------------------------------
def _md(v, d=8):
    """The reference's make_divisible."""
    new = max(d, int(v + d / 2) // d * d)
    return new + d if new < 0.9 * v else new


class _Counter:
    """Params (BN included) and MACs, layer by layer from the tables."""

    def __init__(self, res):
        self.hw, self.params, self.macs = res, 0, 0

    def conv(self, cin, cout, k, stride=1, dw=False, bn=True, bias=False):
        self.hw = (self.hw - 1) // stride + 1
        per_out = (1 if dw else cin) * k * k
        self.params += cout * per_out + 2 * cout * bn + cout * bias
        self.macs += cout * per_out * self.hw**2

    def block(self, cin, cout, k, stride, mid, se=0, expand=True):
        if expand:
            self.conv(cin, mid, 1)
        self.conv(mid, mid, k, stride, dw=True)
        if se:  # two 1x1 convs with bias on the pooled map + the gating
            self.params += 2 * mid * se + mid + se
            self.macs += 2 * mid * se + mid * self.hw**2
        self.conv(mid, cout, 1)

    def linear(self, cin, cout):
        self.params += cin * cout + cout
        self.macs += cin * cout


def _count_mbv2(res, head=None):
    c, w = _Counter(res), [_md(x * .35) for x in (32, 16, 24, 32, 64, 96, 160)]
    c.conv(3, w[0], 3, 2)
    c.block(w[0], w[1], 3, 1, w[0], expand=False)
    cin = w[1]
    for (n, s), cout in zip([(2, 2), (3, 2), (4, 2), (3, 1), (3, 2)], w[2:]):
        for i in range(n):
            c.block(cin, cout, 3, s if i == 0 else 1, _md(round(6 * cin)))
            cin = cout
    head = head or (112, 1280)
    c.block(cin, head[0], 3, 1, round(cin * 6))
    c.conv(head[0], head[1], 1)
    c.linear(head[1], 1000)
    return c


def _count_searched(res, widths, table, head_kernel, head_mid, head):
    c = _Counter(res)
    c.conv(3, widths[0], 3, 2)
    c.block(widths[0], widths[1], 3, 1, widths[0], expand=False)
    cin = widths[1]
    for (expands, kernels, stride), cout in zip(table, widths[2:]):
        for i, (e, k) in enumerate(zip(expands, kernels)):
            c.block(cin, cout, k, stride if i == 0 else 1, _md(round(e * cin)))
            cin = cout
    c.block(cin, head[0], head_kernel, 1, head_mid or round(cin * 6))
    if len(head) > 1:
        c.conv(head[0], head[1], 1)
    c.linear(head[-1], 1000)
    return c


def _count_proxyless(res):
    widths = [_md(x * .35) for x in (32, 16, 32, 40, 80, 96, 192)]
    # yapf: disable
    table = [((3, 3), (5, 3), 2),
             ((3, 3, 3, 3), (7, 3, 5, 5), 2),
             ((6, 3, 3, 3), (7, 5, 5, 5), 2),
             ((6, 3, 3, 3), (5, 5, 5, 5), 1),
             ((6, 6, 3, 3), (7, 7, 7, 7), 2)]
    # yapf: enable
    return _count_searched(res, widths, table, 7, None, (112, 1280))


def _count_mcunet(res):
    # yapf: disable
    table = [((3, 5, 5, 4), (7, 3, 7, 5), 2),
             ((5, 5, 5), (5, 5, 5), 2),
             ((5, 6, 4), (3, 7, 5), 2),
             ((5, 5, 5), (5, 7, 3), 1),
             ((6, 5, 4), (3, 7, 3), 2)]
    # yapf: enable
    return _count_searched(res, (16, 8, 16, 24, 40, 48, 96), table, 7, 480,
                           (160, ))


def _count_mbv3(res):
    c, w = _Counter(res), [_md(x * .35) for x in (16, 24, 40, 80, 112, 160)]
    c.conv(3, w[0], 3, 2)
    c.block(w[0], w[0], 3, 1, w[0], expand=False)
    cin = w[0]
    # yapf: disable
    table = [((64, 72), 3, 2, False),
             ((72, 120, 120), 5, 2, True),
             ((240, 200, 184, 184), 3, 2, False),
             ((480, 672), 3, 1, True),
             ((672, 960, 960), 5, 2, True)]
    # yapf: enable
    for (mids, k, s, se), cout in zip(table, w[1:]):
        for i, mid in enumerate(mids):
            mid = _md(round(mid * .35))
            c.block(cin, cout, k, s if i == 0 else 1, mid,
                    max(_md(mid / 4), 16) if se else 0)
            cin = cout
    c.conv(cin, 336, 1)
    c.hw = 1
    c.conv(336, 1280, 1, bn=False, bias=True)
    c.linear(1280, 1000)
    return c


# backbone, resolution, paper params, paper MACs (None: not quoted), count
SIZES = {
    'tinymbv2': (lambda: TinyMobileNetV2(out_indices=(7, )), 144, 0.75e6,
                 23.5e6, lambda r: _count_mbv2(r, (112, 448))),
    'mbv2-0.35': (lambda: MobileNetV2(widen_factor=0.35, out_indices=(7, )),
                  160, 1.7e6, 30.9e6, _count_mbv2),
    'proxylessnas-0.35': (lambda: ProxylessNASMobile(out_indices=(7, )), 160,
                          1.8e6, 35.7e6, _count_proxyless),
    'mcunet':
    (lambda: MCUNet(out_indices=(6, )), 176, 0.74e6, 81.8e6, _count_mcunet),
    'mbv3-0.35': (lambda: MobileNetV3Large(out_indices=(6, )), 160, None, None,
                  _count_mbv3),
}


@pytest.mark.parametrize('name', list(SIZES))
def test_imagenet_size_matches_paper_and_reference_tables(name):
    build, res, paper_params, paper_macs, count = SIZES[name]
    measured = profile(build_imagenet_classifier(build()), (1, 3, res, res))
    expected = count(res)
    # exact: our layers are the reference tables, layer for layer
    assert measured['params'] == expected.params
    assert measured['macs'] == expected.macs
    if paper_macs is not None:
        assert abs(measured['macs'] - paper_macs) <= 0.01 * paper_macs
        # the paper prints params to two significant digits (1.7M); our
        # count must round to them (1.677M does, within 1.35%)
        half_unit = 0.5 * 10**(math.floor(math.log10(paper_params)) - 1)
        assert abs(measured['params'] - paper_params) <= half_unit


def test_reference_block_settings():
    mcunet = MCUNet()
    layer2 = mcunet.layer2
    assert [b.depthwise_conv.conv.kernel_size[0]
            for b in layer2] == [7, 3, 7, 5]
    assert [b.expand_conv.conv.out_channels
            for b in layer2] == [24, 80, 80, 64]
    assert [b.with_res_shortcut for b in layer2] == [False, True, True, True]
    assert mcunet.layer7[0].expand_conv.conv.out_channels == 480
    assert not hasattr(mcunet, 'conv2')
    # ProxylessNAS: the first block of a stride-1 stage with equal widths
    # has no shortcut in the reference (mmdet's rule would add one)
    proxyless = ProxylessNASMobile()
    block = proxyless.layer5[0]
    assert block.expand_conv.conv.in_channels == 32
    assert block.linear_conv.conv.out_channels == 32
    assert block.depthwise_conv.conv.stride == (1, 1)
    assert not block.with_res_shortcut
    assert proxyless.layer5[1].with_res_shortcut
    assert proxyless.conv2.conv.out_channels == 1280
    # MobileNetV3: stem block adds its input; SE, kernels and activations
    # per stage; SE mid = max(make_divisible(hidden / 4, 8), 16)
    mbv3 = MobileNetV3Large()
    assert mbv3.layer1[0].with_res_shortcut
    assert all(b.se is None for b in mbv3.layer2)
    assert [b.se.conv1.conv.out_channels for b in mbv3.layer3] == [16] * 3
    assert [b.se.conv1.conv.out_channels for b in mbv3.layer6] == [56, 88, 88]
    assert mbv3.layer3[0].depthwise_conv.conv.kernel_size == (5, 5)
    assert type(mbv3.layer2[0].depthwise_conv.activate).__name__ == 'ReLU'
    assert type(mbv3.layer4[0].depthwise_conv.activate).__name__ == \
        'Hardswish'
    assert TinyMobileNetV2().conv2.conv.out_channels == 448
    # detection outputs: strides 8, 16, 32
    x = torch.randn(1, 3, 64, 64)
    for model, widths in ((TinyMobileNetV2(), [16, 32,
                                               112]), (mcunet, [24, 48, 160]),
                          (proxyless, [16, 32, 112]), (mbv3, [16, 40, 336])):
        outs = model.eval()(x)
        assert [o.shape[1] for o in outs] == widths == list(model.out_channels)
        assert [o.shape[-1] for o in outs] == [8, 4, 2]


# --------------------------------------------------------------------------
# 2. NetAug twins: base width = static twin, export, knobs, SE, sorting
# --------------------------------------------------------------------------
@pytest.mark.parametrize('key', list(MODELS))
def test_netaug_base_width_equals_static_twin_and_exports(key):
    static_cls, netaug_cls, _, _ = MODELS[key]
    static = _randomise(static_cls()).eval()
    netaug = netaug_cls()
    netaug.load_state_dict(static.state_dict(), strict=True)
    netaug.eval()
    assert netaug_cls.stock_type == f'mmnetaug.{static_cls.__name__}'
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = static(x)
        _close(netaug(x), ref)
    exported = to_static(netaug)
    assert list(exported.state_dict()) == list(static.state_dict())
    stock = static_cls().eval()
    stock.load_state_dict(exported.state_dict(), strict=True)
    with torch.no_grad():
        _close(stock(x), ref)
    # the supernet really is wider than the twin
    assert sum(
        p.numel()
        for p in netaug.parameters()) > 2 * sum(p.numel()
                                                for p in static.parameters())


def test_knobs_follow_reference_factor_lists_and_rounding():
    assert NetAugMCUNet().width_factors == (1.0, 1.6, 2.2)
    assert NetAugMobileNetV3Large().width_factors == (1.0, 2.0, 3.0)
    for cls in (NetAugTinyMobileNetV2, NetAugProxylessNASMobile):
        assert cls().width_factors == (1.0, 1.8, 2.6)
    mcunet = NetAugMCUNet()
    assert mcunet.expand_factors == (1.0, 1.6, 2.2, 2.8)
    # reference rounding (round half up, no multiple of 8): 16 x 1.6 = 25.6
    assert mcunet.stem_choice.choices == (16, 26, 35)
    knobs = netaug_choices(mcunet)
    # stem + layers 1, 2, 4, 6 (outputs 2, 4, 6 feed a stock neck)
    assert len([k for k in knobs if k.kind == WIDTH]) == 5
    # 16 stage blocks + the head block
    assert len([k for k in knobs if k.kind == EXPAND]) == 17
    wide = NetAugMCUNet(augment_outputs=True)
    assert len([k for k in netaug_choices(wide) if k.kind == WIDTH]) == 8
    # layers after the last output never run in training: no knobs
    short = NetAugTinyMobileNetV2(out_indices=(1, 2))
    assert all(len(b.expand_choice.choices) == 1 for b in short.layer5)
    assert short.conv2_choice.choices == (448, )
    # MobileNetV3's stem block adds its input: stem and layer1 share a knob
    mbv3 = NetAugMobileNetV3Large()
    assert mbv3.layer1[0].out_choice is mbv3.stem_choice
    assert mbv3.stem_choice.choices == (8, 16, 24)
    fixed = NetAugMobileNetV3Large(out_indices=(0, 2, 4))
    assert fixed.stem_choice.choices == (8, )


def test_hidden_and_se_widths_follow_the_input_width():
    model = NetAugMobileNetV3Large(augment_outputs=True).train()
    seen = {}

    def record(module, inputs, output):
        seen[module] = (inputs[0].size(1),
                        module.conv1.conv.active_out_channels)

    se_layers = [m for m in model.modules() if isinstance(m, NetAugSELayer)]
    for m in se_layers:
        m.register_forward_hook(record)
    x = torch.randn(2, 3, 64, 64)
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        sample_wide(model, gen)
        outs = model(x)
        sum(o.mean() for o in outs).backward()
        for block in model.modules():
            if isinstance(block, NetAugTinyInvertedResidual) and \
                    block.with_expand_conv:
                conv = block.expand_conv.conv
                factor = block.expand_choice.value
                assert conv.active_out_channels == int(
                    conv.active_in_channels * block.expand_ratio * factor +
                    0.5)
        for se in se_layers:
            channels, mid = seen[se]
            assert mid == int(channels / se.reduction + 0.5)
    set_max(model)
    model(x)
    block = model.layer6[1]
    assert seen[block.se] == (block.expand_conv.conv.out_channels,
                              block.se.conv1.conv.out_channels)
    set_base(model)
    model(x)
    assert seen[block.se] == (336, 88)  # the static twin's widths


def test_channel_sorting_preserves_function_with_se():
    model = _randomise(NetAugMobileNetV3Large(augment_outputs=True)).eval()
    set_max(model)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        before = model(x)
    block = model.layer6[1]
    se_before = block.se.conv1.conv.weight.detach().clone()
    moved = [
        m.sort_channels() for m in model.modules()
        if isinstance(m, NetAugTinyInvertedResidual)
    ]
    flat = [item for items in moved for item in items]
    assert any(p is block.se.conv1.conv.bias for p, _, _ in flat)
    importance = block.se.conv2.conv.weight.abs().sum(dim=(0, 2, 3))
    assert torch.all(importance[:-1] >= importance[1:])
    hidden = block.linear_conv.conv.weight.abs().sum(dim=(0, 2, 3))
    assert torch.all(hidden[:-1] >= hidden[1:])
    assert not torch.equal(se_before, block.se.conv1.conv.weight)
    with torch.no_grad():
        after = model(x)
    _close(after, before, atol=1e-4)


# --------------------------------------------------------------------------
# 3. Reference ImageNet checkpoints
# --------------------------------------------------------------------------
_PARTS = (('expand_conv.', 'inverted_conv.'),
          ('depthwise_conv.', 'depth_conv.'), ('linear_conv.', 'point_conv.'),
          ('se.conv1.conv.', 'se_layer.reduce_conv.'),
          ('se.conv2.conv.', 'se_layer.expand_conv.'))
# our classifier key prefix -> reference prefix, per family
_HEADS = {
    'mbv2': {
        'backbone.conv2.': 'head.op_list.1.',
        'fc.': 'head.op_list.3.linear.'
    },
    'mcunet': {
        'fc.': 'head.op_list.2.linear.'
    },
    'mbv3': {
        'backbone.conv2.': 'head.op_list.0.',
        'pre_logits.': 'head.op_list.2.',
        'fc.': 'head.op_list.3.linear.'
    },
}


def _to_reference_key(key, family):
    """Our classifier's key -> the reference model's key (test-side)."""

    def inner(rest):
        for ours, ref in _PARTS:
            if rest.startswith(ours):
                return 'conv.' + ref + rest[len(ours):]
        raise AssertionError(rest)

    key = key.replace('.bn.', '.norm.')
    for ours, ref in _HEADS[family].items():
        if key.startswith(ours):
            return ref + key[len(ours):]
    if key.startswith('backbone.conv1.'):
        return 'backbone.input_stem.op_list.0.' + key[len('backbone.conv1.'):]
    match = re.fullmatch(r'backbone\.layer(\d+)\.(\d+)\.(.*)', key)
    layer, block, rest = int(match[1]), match[2], match[3]
    if layer == 1:
        return 'backbone.input_stem.op_list.1.' + inner(rest)
    if layer == 7:
        return 'head.op_list.0.' + inner(rest)
    return f'backbone.stages.{layer - 2}.op_list.{block}.' + inner(rest)


CKPT_CASES = {
    # arch, builder of the backbone classified, family, a known ref. key
    'tinymbv2': ('tinymbv2', lambda: TinyMobileNetV2(out_indices=(7, )),
                 'mbv2', 'head.op_list.3.linear.weight'),
    'mcunet': ('mcunet', lambda: MCUNet(out_indices=(6, )), 'mcunet',
               'backbone.stages.0.op_list.0.conv.inverted_conv.conv.weight'),
    'proxylessnas':
    ('proxylessnas-0.35', lambda: ProxylessNASMobile(out_indices=(7, )),
     'mbv2', 'head.op_list.0.conv.depth_conv.norm.running_var'),
    'mbv3': ('mbv3-0.35', lambda: MobileNetV3Large(out_indices=(6, )), 'mbv3',
             'backbone.stages.1.op_list.0.conv.se_layer.reduce_conv.'
             'bias'),
    'mbv2':
    ('mbv2-0.35', lambda: MobileNetV2(widen_factor=0.35, out_indices=(7, )),
     'mbv2', 'backbone.input_stem.op_list.1.conv.point_conv.conv.'
     'weight'),
}

# the detection backbones a converted checkpoint initialises (static, NetAug)
DETECTION_BACKBONES = {
    key: MODELS[key][:2]
    for key in ('tinymbv2', 'mcunet', 'proxylessnas', 'mbv3')
}
DETECTION_BACKBONES['mbv2'] = (
    lambda **kw: MobileNetV2(widen_factor=0.35, **kw),
    lambda **kw: NetAugMobileNetV2(widen_factor=0.35, **kw))
CONVERTER = osp.join(ROOT, 'tools', 'model_converters',
                     'netaug_reference_to_mmnetaug.py')


@pytest.fixture(scope='module')
def converter():
    """tools/model_converters/netaug_reference_to_mmnetaug.py as a module."""
    spec = importlib.util.spec_from_file_location('_netaug_reference_conv',
                                                  CONVERTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference_checkpoint(key, path):
    """A randomised classifier of case ``key`` and its weights saved in the
    reference layout (as the reference's DDP training saves them for
    mcunet)."""
    arch, build, family, known_key = CKPT_CASES[key]
    source = _randomise(build_imagenet_classifier(build()))
    for p in source.parameters():
        p.data.normal_()
    ref_state = {
        _to_reference_key(k, family): v
        for k, v in source.state_dict().items()
    }
    assert known_key in ref_state
    if key == 'mcunet':
        torch.save(
            {'state_dict': {
                f'module.{k}': v
                for k, v in ref_state.items()
            }}, path)
    else:
        torch.save(ref_state, path)
    return source.eval()


@pytest.mark.parametrize('key', list(CKPT_CASES))
def test_converted_reference_checkpoint_loads_with_mmengine(
        key, tmp_path, converter):
    """The converter's output loads strictly into the whole classifier
    (mmengine's load_checkpoint) and, through the standard ``init_cfg=dict(
    type='Pretrained', prefix='backbone.')``, into the static detection
    backbone and into its NetAug twin's base slice."""
    arch, build = CKPT_CASES[key][:2]
    path, dst = tmp_path / 'ref.pth', str(tmp_path / 'converted.pth')
    source = _reference_checkpoint(key, path)
    converter.main([str(path), dst, '--arch', arch])

    target = build_imagenet_classifier(build())
    load_checkpoint(target, dst, map_location='cpu', strict=True)
    for name, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[name], value), name
    x = torch.randn(1, 3, 64, 64)
    target.eval()
    with torch.no_grad():
        assert torch.equal(target(x), source(x))
        source.backbone.out_indices = (2, 4, 6)
        refs = source.backbone(x)

    init_cfg = dict(type='Pretrained', checkpoint=dst, prefix='backbone.')
    for cls in DETECTION_BACKBONES[key]:
        backbone = cls(out_indices=(2, 4, 6), init_cfg=init_cfg)
        backbone.init_weights()  # a NetAug twin skips the stock-twin copy
        backbone.eval()
        with torch.no_grad():
            _close(backbone(x), refs)

    wrong = 'mbv3' if key != 'mbv3' else 'mcunet'
    with pytest.raises(ValueError, match='reference'):
        converter.convert(str(path), str(tmp_path / 'wrong.pth'), wrong)
    assert not osp.exists(tmp_path / 'wrong.pth')


def test_converter_command_line(tmp_path):
    """The tool as users run it: a fresh interpreter, ``src dst --arch``;
    writes ``{'state_dict', 'meta'}`` and says how to load it."""
    path, dst = tmp_path / 'ref.pth', tmp_path / 'out' / 'mcunet.pth'
    _reference_checkpoint('mcunet', path)
    argv = [CONVERTER, str(path), str(dst), '--arch', 'mcunet']
    proc = subprocess.run(
        [sys.executable] + argv,
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "prefix='backbone.'" in proc.stdout
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(ckpt) == {'state_dict', 'meta'}
    assert ckpt['meta']['backbone'] == dict(type='mmnetaug.MCUNet')
    assert 'fc.weight' in ckpt['state_dict']
    assert all(
        k.startswith('backbone.') or k.startswith('fc.')
        for k in ckpt['state_dict'])


# --------------------------------------------------------------------------
# 4. YOLOv3 configs: NetAug training, export to the stock-only config
# --------------------------------------------------------------------------
def _yolo_cfg(key, netaug, data_root, work_dir):
    name = f'{"netaug" if netaug else "baseline"}_yolo_{key}_coco.py'
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    root = str(data_root) + '/'
    cfg.work_dir = str(work_dir)
    cfg.model.bbox_head.num_classes = 3
    cfg.train_dataloader = dict(
        batch_size=2,
        num_workers=0,
        persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='CocoDataset',
            data_root=root,
            metainfo=dict(classes=('square', 'disc', 'triangle')),
            ann_file='annotations/train.json',
            data_prefix=dict(img='train/'),
            filter_cfg=dict(filter_empty_gt=True),
            pipeline=PIPELINE))
    for split in ('val', 'test'):
        cfg[f'{split}_dataloader'] = None
        cfg[f'{split}_cfg'] = None
        cfg[f'{split}_evaluator'] = None
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    cfg.optim_wrapper.optimizer.lr = 0.002
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0)
    return cfg


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return shapes_data(tmp_path_factory.mktemp('shapes'), num_train=4)


@pytest.mark.parametrize('key', list(MODELS))
def test_yolo_netaug_trains_and_exports_to_stock_config(
        key, data_root, tmp_path):
    cfg = _yolo_cfg(key, True, data_root, tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    assert len(hub.get_scalar('train/loss').data[0]) == 2
    assert max(hub.get_scalar('train/width_factor').data[0]) > 1.0
    assert torch.isfinite(torch.tensor(
        hub.get_scalar('train/loss').data[0])).all()
    result = hub.get_info('netaug_export')
    assert result['max_abs_diff'] <= 1e-5
    text = open(result['config']).read()
    static_name = MODELS[key][0].__name__
    assert f"'mmnetaug.{static_name}'" in text and 'NetAug' not in text
    stock = build_detector(Config.fromfile(result['config']))
    state = torch.load(result['checkpoint'], map_location='cpu')
    stock.load_state_dict(state['state_dict'], strict=True)
    baseline = build_detector(_yolo_cfg(key, False, data_root, tmp_path))
    assert result['params'] == sum(p.numel() for p in baseline.parameters())
    if key == 'mbv3':
        _check_in_fresh_interpreter(runner.model, result, tmp_path)


# Runs in a fresh interpreter: the exported config has no custom_imports;
# 'mmnetaug.<Backbone>' must resolve through the registry alone.
STOCK_CHECK = r'''
import sys, torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
import mmdet.models
from mmdet.registry import MODELS
cfg_path, ckpt_path, inputs_path, out_path = sys.argv[1:]
init_default_scope('mmdet')
model = MODELS.build(Config.fromfile(cfg_path).model).eval()
load_checkpoint(model, ckpt_path, map_location='cpu', strict=True)
with torch.no_grad():
    torch.save(model._forward(torch.load(inputs_path)), out_path)
'''


def _check_in_fresh_interpreter(model, result, tmp_path):
    assert 'custom_imports' not in open(result['config']).read()
    inputs = torch.randn(1, 3, 64, 64)
    torch.save(inputs, tmp_path / 'inputs.pth')
    proc = subprocess.run([
        sys.executable, '-c', STOCK_CHECK, result['config'],
        result['checkpoint'],
        str(tmp_path / 'inputs.pth'),
        str(tmp_path / 'outs.pth')
    ],
                          capture_output=True,
                          text=True,
                          cwd=str(tmp_path),
                          env=dict(
                              os.environ, PYTHONPATH=ROOT,
                              OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    model = model.eval()
    set_base(model)
    with torch.no_grad():
        ref = model._forward(inputs)
    outs = torch.load(tmp_path / 'outs.pth')
    _close([t for o in outs for t in o], [t for o in ref for t in o])


# --------------------------------------------------------------------------
# 5. Arguments and training-mode options
# --------------------------------------------------------------------------
@pytest.mark.parametrize('build, match', [
    (lambda: MCUNet(out_indices=(2, 7)), 'out_indices'),
    (lambda: MCUNet(out_indices=(4, 2)), 'out_indices'),
    (lambda: TinyMobileNetV2(frozen_stages=9), 'frozen_stages'),
    (lambda: ProxylessNASMobile(widen_factor=0), 'widen_factor'),
    (lambda: NetAugMCUNet(width_factors=(0.5, 1.0)), 'width_factors'),
    (lambda: NetAugMobileNetV3Large(expand_factors=()), 'expand_factors'),
    (lambda: TinyInvertedResidual(
        8, 8, 8, stride=2, with_expand_conv=False, with_res_shortcut=True),
     'stride=1'),
    (lambda: TinyInvertedResidual(8, 16, 24, kernel_size=4), 'kernel_size'),
    (lambda: NetAugSELayer(16, 32, 8), 'base_channels'),
])
def test_bad_arguments_name_the_field(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_converter_refuses_unknown_arch_and_missing_file(tmp_path, converter):
    with pytest.raises(FileNotFoundError, match='none.pth'):
        converter.convert(
            str(tmp_path / 'none.pth'), str(tmp_path / 'out.pth'), 'mcunet')
    with pytest.raises(ValueError, match='unknown reference arch'):
        converter.check_arch('resnet50')
    with pytest.raises(SystemExit, match='unknown reference arch'):
        converter.main(['none.pth', 'out.pth', '--arch', 'resnet50'])
    with pytest.raises(ValueError, match='no width suffix'):
        converter.build_backbone('mcunet-0.35')
    assert converter.build_backbone('mbv3-0.5')[1] == dict(
        type='mmnetaug.MobileNetV3Large', widen_factor=0.5)


def test_frozen_stages_and_norm_eval():
    model = NetAugMCUNet(frozen_stages=2, norm_eval=True).train()
    for name in ('conv1', 'layer1', 'layer2'):
        assert not any(
            p.requires_grad for p in getattr(model, name).parameters())
    assert all(p.requires_grad for p in model.layer3.parameters())
    assert not any(m.training for m in model.modules()
                   if isinstance(m, torch.nn.BatchNorm2d))
