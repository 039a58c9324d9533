import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule

from mmnetaug.ops import DynamicBatchNorm2d, DynamicConv2d, DynamicLinear


def test_conv_slices_leading_channels():
    conv = DynamicConv2d(8, 12, 3, padding=1, bias=True)
    conv.active_out_channels = 5
    x = torch.randn(2, 3, 7, 7)
    out = conv(x)
    ref = F.conv2d(x, conv.weight[:5, :3], conv.bias[:5], padding=1)
    assert out.shape == (2, 5, 7, 7)
    assert torch.allclose(out, ref, atol=1e-6)
    static = conv.to_static()
    assert type(static) is nn.Conv2d
    assert static.weight.shape == (5, 3, 3, 3)
    assert torch.allclose(static(x), ref, atol=1e-6)


def test_conv_full_width_equals_plain_conv():
    conv = DynamicConv2d(4, 6, 1)
    plain = nn.Conv2d(4, 6, 1)
    plain.load_state_dict(conv.state_dict())
    x = torch.randn(1, 4, 5, 5)
    assert torch.equal(conv(x), plain(x))


def test_depthwise_conv_follows_input():
    conv = DynamicConv2d(10, 10, 3, padding=1, groups=10, bias=False)
    x = torch.randn(2, 4, 6, 6)
    out = conv(x)
    ref = F.conv2d(x, conv.weight[:4], padding=1, groups=4)
    assert torch.allclose(out, ref, atol=1e-6)
    static = conv.to_static()
    assert static.groups == 4 and static.weight.shape == (4, 1, 3, 3)


def test_conv_reads_concat_groups():
    conv = DynamicConv2d(10, 3, 1, bias=False)
    conv.set_in_channel_groups((6, 4))
    conv.active_in_groups = (2, 3)
    x = torch.randn(1, 5, 4, 4)
    out = conv(x)
    weight = torch.cat([conv.weight[:, :2], conv.weight[:, 6:9]], dim=1)
    assert torch.allclose(out, F.conv2d(x, weight), atol=1e-6)
    assert conv.to_static().weight.shape == (3, 5, 1, 1)
    conv.active_in_groups = (1, 1)
    with pytest.raises(RuntimeError, match='active_in_groups'):
        conv(x)


def test_grouped_conv_refused():
    with pytest.raises(ValueError, match='groups'):
        DynamicConv2d(8, 4, 1, groups=2)


def test_bn_updates_only_leading_slice():
    bn = DynamicBatchNorm2d(6)
    x = torch.randn(4, 3, 5, 5) * 3 + 2
    bn.train()
    out = bn(x)
    ref_bn = nn.BatchNorm2d(3)
    assert torch.allclose(out, ref_bn(x), atol=1e-5)
    assert torch.allclose(bn.running_mean[:3], ref_bn.running_mean)
    assert torch.equal(bn.running_mean[3:], torch.zeros(3))
    assert int(bn.num_batches_tracked) == 1


def test_bn_frozen_stats_pass():
    bn = DynamicBatchNorm2d(6)
    bn.train()
    bn.update_running_stats = False
    x = torch.randn(4, 6, 3, 3) + 5
    out = bn(x)
    assert torch.equal(bn.running_mean, torch.zeros(6))
    assert int(bn.num_batches_tracked) == 0
    assert torch.allclose(out.mean(dim=(0, 2, 3)), torch.zeros(6), atol=1e-5)


def test_bn_to_static_eval():
    bn = DynamicBatchNorm2d(6)
    bn.running_mean.uniform_()
    bn.running_var.uniform_(0.5, 2)
    bn.weight.data.uniform_()
    bn.eval()
    x = torch.randn(2, 4, 3, 3)
    out = bn(x)
    static = bn.to_static()
    assert type(static) is nn.BatchNorm2d and static.num_features == 4
    assert torch.allclose(static(x), out, atol=1e-6)


def test_linear():
    lin = DynamicLinear(8, 5)
    x = torch.randn(3, 6)
    ref = F.linear(x, lin.weight[:, :6], lin.bias)
    assert torch.allclose(lin(x), ref, atol=1e-6)
    assert torch.allclose(lin.to_static()(x), ref, atol=1e-6)


def test_stock_tensors_load_into_leading_slice():
    conv = DynamicConv2d(8, 8, 3, bias=False)
    before = conv.weight.detach().clone()
    small = torch.randn(4, 2, 3, 3)
    conv.load_state_dict({'weight': small})
    assert torch.equal(conv.weight[:4, :2], small)
    assert torch.equal(conv.weight[4:], before[4:])
    wider = torch.randn(9, 10, 3, 3)  # a wider supernet's: leading slice
    conv.load_state_dict({'weight': wider})
    assert torch.equal(conv.weight, wider[:8, :8])
    with pytest.raises(RuntimeError, match='size mismatch'):
        conv.load_state_dict({'weight': torch.randn(9, 2, 3, 3)})


def test_convmodule_builds_dynamic_layers_by_name():
    module = ConvModule(
        4, 8, 3,
        conv_cfg=dict(type='mmnetaug.DynamicConv2d'),
        norm_cfg=dict(type='mmnetaug.DynamicBatchNorm2d'))
    assert isinstance(module.conv, DynamicConv2d)
    assert isinstance(module.bn, DynamicBatchNorm2d)
    assert set(module.state_dict()) == {
        'conv.weight', 'bn.weight', 'bn.bias', 'bn.running_mean',
        'bn.running_var', 'bn.num_batches_tracked'
    }
