"""NetAugCSPNeXt (RTMDet): stock equivalence at base width for the tiny
setting, stock checkpoints in the leading slice (channel attention in both
dimensions), sampled configs against their static twins, the sub-network
property and export of an RTMDet-tiny detector."""
import math

import pytest
import torch
import torch.nn as nn
from mmdet.models.backbones import CSPNeXt
from mmdet.models.layers.se_layer import ChannelAttention

from mmnetaug.export import max_abs_diff, to_static
from mmnetaug.models import NetAugCSPNeXt
from mmnetaug.models.layers import NetAugChannelAttention
from mmnetaug.space import (EXPAND, WIDTH, current_config, netaug_choices,
                            sample_wide, set_max)
from detector_helpers import _one_thread, randomise_bn, silence_wide  # noqa

# mmdet's rtmdet_tiny backbone arguments (channel_attention defaults True)
TINY = dict(deepen_factor=0.167, widen_factor=0.375)
TINY_DW = dict(TINY, use_depthwise=True)
NO_ATTENTION = dict(TINY, channel_attention=False)
SETTINGS = dict(tiny=TINY, tiny_dw=TINY_DW, no_attention=NO_ATTENTION)


def _inputs(batch=2, size=64, seed=1):
    return torch.randn(batch, 3, size, size,
                       generator=torch.Generator().manual_seed(seed))


def _stock(**kwargs):
    stock = CSPNeXt(**kwargs)
    stock.init_weights()
    randomise_bn(stock)
    stock.eval()
    return stock


@pytest.mark.parametrize('setting, augment_outputs', [('tiny', False),
                                                     ('tiny', True),
                                                     ('tiny_dw', False),
                                                     ('no_attention', False)])
def test_base_width_equals_stock(setting, augment_outputs):
    kwargs = SETTINGS[setting]
    stock = _stock(**kwargs)
    netaug = NetAugCSPNeXt(**kwargs, augment_outputs=augment_outputs)
    assert hasattr(netaug.stage1[1], 'attention') == hasattr(
        stock.stage1[1], 'attention')
    # a stock state dict loads into the leading slice (concats included)
    netaug.load_state_dict(stock.state_dict(), strict=True)
    netaug.eval()
    x = _inputs()
    with torch.no_grad():
        outs, ref = netaug(x), stock(x)
    assert [o.shape for o in outs] == [r.shape for r in ref]
    diff = max_abs_diff(outs, ref)
    assert diff <= 1e-5, diff
    # and back: the static base network is the stock module, name for name
    static = to_static(netaug)
    stock_state, static_state = stock.state_dict(), static.state_dict()
    assert list(static_state) == list(stock_state)
    for key, value in stock_state.items():
        assert static_state[key].shape == value.shape, key
        assert torch.equal(static_state[key], value), key
    with torch.no_grad():
        assert max_abs_diff(static(x), ref) <= 1e-5


def test_stock_weights_land_in_each_part_of_a_concat():
    """The attention's fc reads and writes cat((main, short)): a stock fc
    goes into the leading channels of each part, rows and columns."""
    stock = _stock(**TINY)
    netaug = NetAugCSPNeXt(**TINY)
    fc = netaug.stage2[1].attention.fc
    untouched = fc.weight.detach().clone()
    netaug.load_state_dict(stock.state_dict())
    ref = stock.stage2[1].attention.fc  # (96, 96) at base: 2 x 48
    size = fc.in_channel_groups[0]  # 48 x 2.6 -> 128
    assert fc.in_channel_groups == fc.out_channel_groups == (128, 128)
    for row in range(2):
        assert torch.equal(fc.bias[row * size:row * size + 48],
                           ref.bias[row * 48:(row + 1) * 48])
        for col in range(2):
            assert torch.equal(
                fc.weight[row * size:row * size + 48,
                          col * size:col * size + 48],
                ref.weight[row * 48:(row + 1) * 48,
                           col * 48:(col + 1) * 48])
    # entries outside the base parts keep their own values
    assert torch.equal(fc.weight[48:size], untouched[48:size])
    assert torch.equal(fc.weight[:, 48:size], untouched[:, 48:size])
    final = netaug.stage2[1].final_conv.conv
    ref = stock.stage2[1].final_conv.conv.weight  # (96, 2 x 48)
    assert torch.equal(final.weight[:96, size:size + 48], ref[:, 48:])


def test_stock_checkpoint_loads_through_pretrained_init(tmp_path):
    """mmengine's ``init_cfg=dict(type='Pretrained')`` with a stock
    checkpoint (how mmdet's RTMDet configs start): the base network is the
    stock one, the wide channels keep the supernet's init."""
    stock = _stock(**TINY)
    path = str(tmp_path / 'stock.pth')
    torch.save({'state_dict': stock.state_dict()}, path)
    netaug = NetAugCSPNeXt(
        **TINY, init_cfg=dict(type='Pretrained', checkpoint=path))
    wide_before = netaug.stage2[0].conv.weight[-1].detach().clone()
    netaug.init_weights()
    assert torch.equal(netaug.stage2[0].conv.weight[-1], wide_before)
    netaug.eval()
    x = _inputs()
    with torch.no_grad():
        assert max_abs_diff(netaug(x), stock(x)) <= 1e-5


def test_knobs_and_fresh_model_at_base():
    model = NetAugCSPNeXt(**TINY)
    knobs = netaug_choices(model)
    assert all(k.index == 0 for k in knobs)
    # 3 stem convs + 4 stride-2 convs + 4 CSP branch widths + stage1's
    # output; stages 2-4 feed a stock neck and keep base width
    assert len([k for k in knobs if k.kind == WIDTH]) == 12
    # one per block: 1 block per stage at deepen_factor 0.167
    assert len([k for k in knobs if k.kind == EXPAND]) == 4
    assert [k.choices for k in model.out_width_choices()] == [(96, ), (192, ),
                                                              (384, )]
    assert [k.choices for k in model.stem_choices] == [(12, 24, 32),
                                                       (12, 24, 32),
                                                       (24, 40, 64)]
    wide = NetAugCSPNeXt(**TINY, augment_outputs=True)
    assert len([k for k in netaug_choices(wide) if k.kind == WIDTH]) == 15


def test_channel_attention_reads_and_writes_each_group():
    """At a non-base width the attention is the stock module holding the
    rows and columns of the active leading channels of each part."""
    attention = NetAugChannelAttention((16, 16), (8, 8))
    nn.init.normal_(attention.fc.weight)
    nn.init.normal_(attention.fc.bias)
    active = (12, 12)
    index = torch.cat([torch.arange(12), torch.arange(16, 28)])
    stock = ChannelAttention(24)
    with torch.no_grad():
        stock.fc.weight.copy_(attention.fc.weight[index][:, index])
        stock.fc.bias.copy_(attention.fc.bias[index])
    x = torch.randn(2, 24, 4, 4)
    attention.active_groups = active
    with torch.no_grad():
        assert max_abs_diff(attention(x), stock(x)) <= 1e-6
        # a prefix of the whole (the ultralytics port's bug) differs
        stock.fc.weight.copy_(attention.fc.weight[:24, :24])
        stock.fc.bias.copy_(attention.fc.bias[:24])
        assert max_abs_diff(attention(x), stock(x)) > 1e-3
    attention.active_groups = None
    with pytest.raises(RuntimeError, match='must set active_out_groups'):
        attention(x)


@pytest.mark.parametrize('setting', ['tiny', 'tiny_dw'])
def test_sampled_config_equals_its_static_twin(setting):
    """Every sampled wide network runs (forward and backward) and its
    exported static twin computes what the supernet computes there."""
    model = NetAugCSPNeXt(**SETTINGS[setting], augment_outputs=True)
    randomise_bn(model)
    gen = torch.Generator().manual_seed(3)
    x = _inputs(batch=1)
    seen = set()
    for _ in range(2):
        model.train()
        sample_wide(model, gen)
        seen.add(tuple(current_config(model)))
        outs = model(x)
        assert [o.size(1) for o in outs] == [
            k.value for k in model.out_width_choices()
        ]
        sum(o.mean() for o in outs).backward()
        model.eval()
        with torch.no_grad():
            outs = model(x)
        static = to_static(model, config=current_config(model))
        assert not any(
            isinstance(m, type(model.stem[0].conv)) for m in
            static.modules())
        with torch.no_grad():
            diff = max_abs_diff(static(x), outs)
        assert diff <= 1e-5, diff
    assert len(seen) == 2


@pytest.mark.parametrize('augment_outputs', [False, True])
def test_base_is_a_subnetwork_of_max(augment_outputs):
    """With the wide channels silenced, the widest network computes the
    base output. Fails if a conv after a concatenation (CSP final_conv,
    SPP conv2) or the channel attention read or wrote a prefix of the whole
    instead of each part's leading channels."""
    model = NetAugCSPNeXt(**TINY, augment_outputs=augment_outputs)
    randomise_bn(model)
    x = _inputs(batch=1)
    quiet = silence_wide(model, lambda m: m(x))
    with torch.no_grad():
        base = quiet(x)
        set_max(quiet)
        wide = quiet(x)
    for b, w in zip(base, wide):
        assert (w.size(1) > b.size(1)) == augment_outputs
        assert (w[:, :b.size(1)] - b).abs().max() <= 1e-5
        assert not w[:, b.size(1):].any()
    # the wide channels do change the output when not silenced
    set_max(model)
    model.eval()
    with torch.no_grad():
        loud = model(x)
    assert max_abs_diff([w[:, :b.size(1)] for w, b in zip(loud, base)],
                        base) > 1e-3


def test_init_gives_the_base_slice_the_stock_init():
    torch.manual_seed(0)
    model = NetAugCSPNeXt(**TINY)
    model.init_weights()
    base = to_static(model).state_dict()
    stock = CSPNeXt(**TINY)
    stock.init_weights()
    bad = []
    for key, value in stock.state_dict().items():
        if not (key.endswith('weight') and value.dim() == 4):
            continue
        tol = max(0.10, 4 / math.sqrt(value.numel()))
        ratio = float(base[key].std() / value.std())
        if abs(ratio - 1) > tol:
            bad.append(f'{key}: std ratio {ratio:.3f}')
    assert not bad, '\n'.join(bad)
    # the wide channels keep the reference init on the max fan-in
    conv = model.stage3[1].main_conv.conv  # 96 channels at base
    bound = 1 / math.sqrt(conv.weight[0].numel())
    assert float(conv.weight[96:].abs().max()) <= bound
    assert float(conv.weight[:96].abs().max()) > bound


@pytest.mark.parametrize('setting', ['tiny', 'tiny_dw'])
def test_channel_sorting_preserves_max_width_function(setting):
    model = NetAugCSPNeXt(**SETTINGS[setting])
    randomise_bn(model)
    model.eval()
    set_max(model)
    x = _inputs(batch=1)
    with torch.no_grad():
        before = model(x)
    moved = [m.sort_channels() for m in model.modules()
             if hasattr(m, 'sort_channels')]
    assert len(moved) == 4 and all(moved)
    block = model.stage2[1].blocks[0]
    importance = block.conv2.pointwise_conv.conv.weight.abs().sum(
        dim=(0, 2, 3))
    assert torch.all(importance[:-1] >= importance[1:])
    with torch.no_grad():
        after = model(x)
    assert max_abs_diff(before, after) <= 1e-4


@pytest.mark.parametrize('kwargs, match', [
    (dict(width_factors=()), 'width_factors is empty'),
    (dict(width_factors=(1.5, 2.0)), 'width_factors.*lacks 1.0'),
    (dict(expand_factors=(1.0, 2.2, 1.6)), 'expand_factors.*sorted'),
    (dict(widen_factor=0), 'widen_factor must be > 0'),
    (dict(expand_ratio=0), 'expand_ratio must be > 0'),
    (dict(out_indices=(2, 5)), 'out_indices'),
    (dict(frozen_stages=5), 'frozen_stages'),
    (dict(arch='P7'), 'arch must be one of'),
    (dict(norm_cfg=dict(type='GN', num_groups=2)), 'norm_cfg'),
])
def test_bad_arguments_name_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NetAugCSPNeXt(**kwargs)


@pytest.mark.parametrize('frozen_stages, norm_eval', [(1, False), (-1, True)])
def test_frozen_stages_and_norm_eval_match_stock(frozen_stages, norm_eval):
    kwargs = dict(TINY, frozen_stages=frozen_stages, norm_eval=norm_eval)
    stock = CSPNeXt(**kwargs)
    netaug = NetAugCSPNeXt(**kwargs)
    stock.train()
    netaug.train()
    ours = {n: m.training for n, m in netaug.named_modules()}
    stock_modes = {n: m.training for n, m in stock.named_modules()}
    assert {n: ours[n] for n in stock_modes} == stock_modes
    grads = {n: p.requires_grad for n, p in stock.named_parameters()}
    assert {n: p.requires_grad
            for n, p in netaug.named_parameters()} == grads
    assert any(isinstance(m, nn.BatchNorm2d) and not m.training
               for m in netaug.modules())


# ---- export of an RTMDet-tiny detector ------------------------------------
# mmdet's config starts the backbone from an ImageNet checkpoint URL; the
# tests start from scratch (init_cfg=None), the twin too
RTMDET_TINY = '''
_base_ = 'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py'
custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)
model = dict(backbone=dict(type='mmnetaug.NetAugCSPNeXt', init_cfg=None),
             bbox_head=dict(num_classes=3))
'''
RTMDET_TINY_TWIN = '''
_base_ = 'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py'
model = dict(backbone=dict(init_cfg=None), bbox_head=dict(num_classes=3))
'''


def test_rtmdet_tiny_exports_to_stock_cspnext(tmp_path):
    """export() swaps NetAugCSPNeXt for mmdet's CSPNeXt (by its
    ``stock_type``; SyncBN as mmdet's config has it): the written config
    builds stock types only, the weights load strictly and give the
    supernet's base outputs, and the backbone part loads strictly into a
    stock CSPNeXt."""
    from mmengine.config import Config

    from mmnetaug.export import build_detector, export, export_config
    from detector_helpers import load_exported

    path = tmp_path / 'netaug_rtmdet_tiny.py'
    path.write_text(RTMDET_TINY)
    cfg = Config.fromfile(str(path))
    stock_cfg, replaced = export_config(cfg)
    assert replaced == ['NetAugCSPNeXt']
    assert stock_cfg.model.backbone.type == 'CSPNeXt'
    for key in NetAugCSPNeXt.netaug_args:
        assert key not in stock_cfg.model.backbone
    model = build_detector(cfg)
    randomise_bn(model)
    result = export(cfg, None, str(tmp_path / 'out'), model=model)
    stock = load_exported(result, model)  # strict, outputs <= 1e-5
    assert type(stock.backbone) is CSPNeXt
    backbone = CSPNeXt(**TINY, norm_cfg=dict(type='SyncBN'))
    state = torch.load(result['checkpoint'], map_location='cpu')
    backbone.load_state_dict(
        {k[len('backbone.'):]: v
         for k, v in state['state_dict'].items()
         if k.startswith('backbone.')}, strict=True)
    # parameter for parameter the stock RTMDet-tiny (the baseline twin)
    twin_path = tmp_path / 'rtmdet_tiny.py'
    twin_path.write_text(RTMDET_TINY_TWIN)
    twin = build_detector(Config.fromfile(str(twin_path)))
    assert result['params'] == sum(p.numel() for p in twin.parameters())
    assert list(twin.state_dict()) == list(state['state_dict'])
