import pytest
import torch
from mmdet.models.backbones import MobileNetV2

from mmnetaug.export import to_static
from mmnetaug.models import NetAugMobileNetV2
from mmnetaug.space import (EXPAND, WIDTH, current_config, netaug_choices,
                            sample_wide, set_base, set_max)


def _pair(widen, out_indices, act=dict(type='LeakyReLU', negative_slope=0.1)):
    stock = MobileNetV2(widen_factor=widen, out_indices=out_indices,
                        act_cfg=act)
    stock.init_weights()
    for m in stock.modules():  # non-trivial BN statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    netaug = NetAugMobileNetV2(widen_factor=widen, out_indices=out_indices,
                               act_cfg=act)
    netaug.load_state_dict(stock.state_dict(), strict=True)
    stock.eval()  # mmdet's train() returns None
    netaug.eval()
    return stock, netaug


@pytest.mark.parametrize('widen', [0.35, 0.5, 1.0])
@pytest.mark.parametrize('out_indices', [(2, 4, 6), (4, 7)])
def test_base_width_equals_stock(widen, out_indices):
    stock, netaug = _pair(widen, out_indices)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        outs, ref = netaug(x), stock(x)
    assert len(outs) == len(ref)
    for a, b in zip(outs, ref):
        assert a.shape == b.shape
        assert (a - b).abs().max() <= 1e-5
    # Same parameter names; once exported, the same shapes.
    static = to_static(netaug)
    stock_state, static_state = stock.state_dict(), static.state_dict()
    assert list(static_state) == list(stock_state)
    for key, value in stock_state.items():
        assert static_state[key].shape == value.shape, key


def test_fresh_model_is_at_base_and_knobs_are_shared():
    model = NetAugMobileNetV2(widen_factor=0.35, out_indices=(2, 4, 6))
    knobs = netaug_choices(model)
    assert all(k.index == 0 for k in knobs)
    widths = [k for k in knobs if k.kind == WIDTH]
    # stem + layers 1, 2, 4, 6: output stages 3, 5, 7 feed a stock neck and
    # keep base width; conv2 is not used for these out_indices
    assert len(widths) == 5
    wide_outputs = NetAugMobileNetV2(widen_factor=0.35,
                                     out_indices=(2, 4, 6),
                                     augment_outputs=True)
    assert len([k for k in netaug_choices(wide_outputs)
                if k.kind == WIDTH]) == 8
    # 16 expanding blocks (all but layer1's)
    assert len([k for k in knobs if k.kind == EXPAND]) == 16
    # Blocks with identity shortcuts share their stage's knob.
    layer3 = model.layer3
    assert layer3[1].out_choice is layer3[0].out_choice
    assert layer3[1].with_res_shortcut and not layer3[0].with_res_shortcut


@pytest.mark.parametrize('augment_outputs', [False, True])
def test_sampled_configs_run_forward_backward(augment_outputs):
    model = NetAugMobileNetV2(widen_factor=0.35, out_indices=(2, 4, 6),
                              augment_outputs=augment_outputs)
    model.train()
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 64, 64)
    seen = set()
    for _ in range(4):
        summary = sample_wide(model, gen)
        seen.add(tuple(current_config(model)))
        outs = model(x)
        stage = [model.stage_choices[i].value for i in (2, 4, 6)]
        assert [o.size(1) for o in outs] == stage
        sum(o.mean() for o in outs).backward()
        assert summary['width_factor'] >= 1.0
    assert len(seen) > 1
    set_max(model)
    outs = model(x)
    assert outs[-1].size(1) == model.stage_choices[6].max
    assert (outs[-1].size(1) > 112) == augment_outputs
    set_base(model)
    assert [o.size(1) for o in model(x)] == [16, 32, 112]


def test_sampling_is_reproducible_from_generator():
    model = NetAugMobileNetV2(widen_factor=0.35)

    def draws(seed):
        gen = torch.Generator().manual_seed(seed)
        configs = []
        for _ in range(5):
            sample_wide(model, gen)
            configs.append(tuple(current_config(model)))
        return configs

    assert draws(1234) == draws(1234)
    assert draws(1234) != draws(99)


def test_width_stop_mode_keeps_widths_at_base():
    model = NetAugMobileNetV2(widen_factor=0.35)
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        sample_wide(model, gen, kinds=(EXPAND, ))
        assert all(k.index == 0 for k in netaug_choices(model)
                   if k.kind == WIDTH)


def test_channel_sorting_preserves_max_width_function():
    model = NetAugMobileNetV2(widen_factor=0.35, out_indices=(2, 4, 6))
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    model.eval()
    set_max(model)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        before = model(x)
    block = model.layer3[0]
    w_before = block.linear_conv.conv.weight.detach().clone()
    moved = [m.sort_channels() for m in model.modules()
             if hasattr(m, 'sort_channels')]
    assert any(moved)
    importance = block.linear_conv.conv.weight.abs().sum(dim=(0, 2, 3))
    assert torch.all(importance[:-1] >= importance[1:])
    assert not torch.equal(w_before, block.linear_conv.conv.weight)
    with torch.no_grad():
        after = model(x)
    for a, b in zip(before, after):
        assert torch.allclose(a, b, atol=1e-4)


def test_stock_checkpoint_loads_as_pretrained(tmp_path):
    stock = MobileNetV2(widen_factor=0.5, out_indices=(2, 4, 6))
    stock.init_weights()
    path = tmp_path / 'mbv2.pth'
    torch.save({'state_dict': stock.state_dict()}, path)
    model = NetAugMobileNetV2(widen_factor=0.5, out_indices=(2, 4, 6),
                              pretrained=str(path))
    wide_before = model.layer2[0].expand_conv.conv.weight[-1].clone()
    model.init_weights()
    w = model.layer2[0].expand_conv.conv.weight
    ref = stock.layer2[0].expand_conv.conv.weight
    assert torch.equal(w[:ref.size(0), :ref.size(1)], ref)
    assert torch.equal(w[-1], wide_before)  # wide channels keep their init
    x = torch.randn(1, 3, 64, 64)
    stock.eval()
    model.eval()
    with torch.no_grad():
        for a, b in zip(model(x), stock(x)):
            assert (a - b).abs().max() <= 1e-5


@pytest.mark.parametrize('kwargs, match', [
    (dict(width_factors=()), 'width_factors is empty'),
    (dict(width_factors=(1.5, 2.0)), 'width_factors.*lacks 1.0'),
    (dict(width_factors=(0.5, 1.0)), 'width_factors.*< 1.0'),
    (dict(expand_factors=(1.0, 2.2, 1.6)), 'expand_factors.*sorted'),
    (dict(expand_factors='abc'), 'expand_factors'),
    (dict(widen_factor=0), 'widen_factor must be > 0'),
    (dict(out_indices=(2, 8)), 'out_indices'),
])
def test_bad_arguments_name_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NetAugMobileNetV2(**kwargs)


def test_unsupported_norm_is_refused():
    with pytest.raises(ValueError, match='norm_cfg'):
        NetAugMobileNetV2(norm_cfg=dict(type='GN', num_groups=2))


@pytest.mark.parametrize('frozen_stages, norm_eval', [(2, False), (0, True)])
def test_frozen_stages_and_norm_eval_match_stock(frozen_stages, norm_eval):
    kwargs = dict(widen_factor=0.35, out_indices=(2, 4, 6),
                  frozen_stages=frozen_stages, norm_eval=norm_eval)
    stock = MobileNetV2(**kwargs)
    netaug = NetAugMobileNetV2(**kwargs)
    stock.train()
    netaug.train()
    ours = {n: m.training for n, m in netaug.named_modules()}
    stock_modes = {n: m.training for n, m in stock.named_modules()
                   if n in ours}  # stock also has parameter-free drop_path
    assert len(stock_modes) > 100
    assert {n: ours[n] for n in stock_modes} == stock_modes
    grads = {n: p.requires_grad for n, p in stock.named_parameters()}
    assert {n: p.requires_grad
            for n, p in netaug.named_parameters()} == grads
    assert not all(grads.values())
