"""NetAugCSPDarknet (YOLOX): stock equivalence at base width for the nano
and tiny settings, stock checkpoints in the leading slice, sampled configs
against their static twins, the sub-network property and export."""
import math

import pytest
import torch
import torch.nn as nn
from mmdet.models.backbones import CSPDarknet

from mmnetaug.export import max_abs_diff, to_static
from mmnetaug.models import NetAugCSPDarknet
from mmnetaug.space import (EXPAND, WIDTH, current_config, netaug_choices,
                            sample_wide, set_max)
from detector_helpers import _one_thread, randomise_bn, silence_wide  # noqa

# mmdet's yolox_nano / yolox_tiny backbone arguments
NANO = dict(deepen_factor=0.33, widen_factor=0.25, use_depthwise=True)
TINY = dict(deepen_factor=0.33, widen_factor=0.375)
SETTINGS = dict(nano=NANO, tiny=TINY)


def _inputs(batch=2, size=64, seed=1):
    return torch.randn(batch, 3, size, size,
                       generator=torch.Generator().manual_seed(seed))


def _stock(**kwargs):
    stock = CSPDarknet(**kwargs)
    stock.init_weights()
    randomise_bn(stock)
    stock.eval()
    return stock


@pytest.mark.parametrize('augment_outputs', [False, True])
@pytest.mark.parametrize('setting', ['nano', 'tiny'])
def test_base_width_equals_stock(setting, augment_outputs):
    kwargs = SETTINGS[setting]
    stock = _stock(**kwargs)
    netaug = NetAugCSPDarknet(**kwargs, augment_outputs=augment_outputs)
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
    stock = _stock(**NANO)
    netaug = NetAugCSPDarknet(**NANO)
    final = netaug.stage1[1].final_conv.conv
    spp = netaug.stage4[1].conv2.conv
    untouched = final.weight[:, 16:32].detach().clone()
    netaug.load_state_dict(stock.state_dict())
    ref = stock.stage1[1].final_conv.conv.weight  # (32, 2 x 16) at base
    mid_max = final.in_channel_groups[0]  # 40: 16 x 2.6, rounded to 8
    assert mid_max == 40
    assert torch.equal(final.weight[:32, :16], ref[:, :16])
    assert torch.equal(final.weight[:32, mid_max:mid_max + 16], ref[:, 16:])
    # the wide columns of the first part keep their own values
    assert torch.equal(final.weight[32:, 16:32], untouched[32:])
    ref = stock.stage4[1].conv2.conv.weight  # (256, 4 x 128)
    size = spp.in_channel_groups[0]
    for part in range(4):
        assert torch.equal(
            spp.weight[:256, part * size:part * size + 128],
            ref[:, part * 128:(part + 1) * 128])


def test_stock_checkpoint_loads_through_pretrained_init(tmp_path):
    """mmengine's ``init_cfg=dict(type='Pretrained')`` with a stock
    checkpoint: the base network is the stock one, the wide channels keep
    the supernet's init (the twin's init is not copied over it)."""
    stock = _stock(**TINY)
    path = str(tmp_path / 'stock.pth')
    torch.save({'state_dict': stock.state_dict()}, path)
    netaug = NetAugCSPDarknet(
        **TINY, init_cfg=dict(type='Pretrained', checkpoint=path))
    wide_before = netaug.stage2[0].conv.weight[-1].detach().clone()
    netaug.init_weights()
    assert torch.equal(netaug.stage2[0].conv.weight[-1], wide_before)
    netaug.eval()
    x = _inputs()
    with torch.no_grad():
        assert max_abs_diff(netaug(x), stock(x)) <= 1e-5


def test_knobs_and_fresh_model_at_base():
    model = NetAugCSPDarknet(**NANO)
    knobs = netaug_choices(model)
    assert all(k.index == 0 for k in knobs)
    widths = [k for k in knobs if k.kind == WIDTH]
    # stem + 4 stride-2 convs + 4 CSP branch widths + stage1's output;
    # stages 2-4 feed a stock neck and keep base width
    assert len(widths) == 10
    # one per bottleneck: 1 + 3 + 3 + 1 blocks at deepen_factor 0.33
    assert len([k for k in knobs if k.kind == EXPAND]) == 8
    assert [k.choices for k in model.out_width_choices()] == [(64, ), (128, ),
                                                              (256, )]
    wide = NetAugCSPDarknet(**NANO, augment_outputs=True)
    assert len([k for k in netaug_choices(wide) if k.kind == WIDTH]) == 13
    assert model.stem_choice.choices == (16, 32, 40)


@pytest.mark.parametrize('setting', ['nano', 'tiny'])
def test_sampled_config_equals_its_static_twin(setting):
    """Every sampled wide network runs (forward and backward) and its
    exported static twin computes what the supernet computes there."""
    model = NetAugCSPDarknet(**SETTINGS[setting], augment_outputs=True)
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
            isinstance(m, type(model.stem.conv.conv)) for m in
            static.modules())
        with torch.no_grad():
            diff = max_abs_diff(static(x), outs)
        assert diff <= 1e-5, diff
    assert len(seen) == 2


@pytest.mark.parametrize('augment_outputs', [False, True])
def test_base_is_a_subnetwork_of_max(augment_outputs):
    """With the wide channels silenced, the widest network computes the
    base output. Fails if a conv after a concatenation (CSP final_conv,
    SPP conv2) read a prefix of the whole instead of each part's."""
    model = NetAugCSPDarknet(**NANO, augment_outputs=augment_outputs)
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


def test_init_gives_the_base_slice_the_stock_init():
    torch.manual_seed(0)
    model = NetAugCSPDarknet(**TINY)
    model.init_weights()
    base = to_static(model).state_dict()
    stock = CSPDarknet(**TINY)
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


def test_channel_sorting_preserves_max_width_function():
    model = NetAugCSPDarknet(**NANO)
    randomise_bn(model)
    model.eval()
    set_max(model)
    x = _inputs(batch=1)
    with torch.no_grad():
        before = model(x)
    block = model.stage2[1].blocks[0]
    moved = [m.sort_channels() for m in model.modules()
             if hasattr(m, 'sort_channels')]
    assert len(moved) == 8 and all(moved)
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
    (dict(deepen_factor=-1), 'deepen_factor must be > 0'),
    (dict(out_indices=(2, 5)), 'out_indices'),
    (dict(frozen_stages=5), 'frozen_stages'),
    (dict(arch='P7'), 'arch must be one of'),
    (dict(norm_cfg=dict(type='GN', num_groups=2)), 'norm_cfg'),
])
def test_bad_arguments_name_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NetAugCSPDarknet(**kwargs)


@pytest.mark.parametrize('frozen_stages, norm_eval', [(1, False), (-1, True)])
def test_frozen_stages_and_norm_eval_match_stock(frozen_stages, norm_eval):
    kwargs = dict(NANO, frozen_stages=frozen_stages, norm_eval=norm_eval)
    stock = CSPDarknet(**kwargs)
    netaug = NetAugCSPDarknet(**kwargs)
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


# ---- export of a YOLOX detector -------------------------------------------
YOLOX_NANO = '''
_base_ = 'mmdet::yolox/yolox_nano_8xb8-300e_coco.py'
custom_imports = dict(imports=['mmnetaug'], allow_failed_imports=False)
model = dict(backbone=dict(type='mmnetaug.NetAugCSPDarknet'),
             bbox_head=dict(num_classes=3))
'''


def test_yolox_nano_exports_to_stock_cspdarknet(tmp_path):
    """export() swaps NetAugCSPDarknet for mmdet's CSPDarknet (by its
    ``stock_type``): the written config builds stock types only, the
    weights load strictly and give the supernet's base outputs, and the
    backbone part loads strictly into a stock CSPDarknet."""
    from mmengine.config import Config

    from mmnetaug.export import build_detector, export, export_config
    from detector_helpers import load_exported

    path = tmp_path / 'netaug_yolox_nano.py'
    path.write_text(YOLOX_NANO)
    cfg = Config.fromfile(str(path))
    stock_cfg, replaced = export_config(cfg)
    assert replaced == ['NetAugCSPDarknet']
    assert stock_cfg.model.backbone.type == 'CSPDarknet'
    for key in NetAugCSPDarknet.netaug_args:
        assert key not in stock_cfg.model.backbone
    model = build_detector(cfg)
    randomise_bn(model)
    result = export(cfg, None, str(tmp_path / 'out'), model=model)
    stock = load_exported(result, model)  # strict, outputs <= 1e-5
    assert type(stock.backbone) is CSPDarknet
    backbone = CSPDarknet(**NANO)
    state = torch.load(result['checkpoint'], map_location='cpu')
    backbone.load_state_dict(
        {k[len('backbone.'):]: v
         for k, v in state['state_dict'].items()
         if k.startswith('backbone.')}, strict=True)
    # parameter for parameter the stock YOLOX-nano (the baseline twin)
    twin_path = tmp_path / 'yolox_nano.py'
    twin_path.write_text(
        "_base_ = 'mmdet::yolox/yolox_nano_8xb8-300e_coco.py'\n"
        'model = dict(bbox_head=dict(num_classes=3))\n')
    twin = build_detector(Config.fromfile(str(twin_path)))
    assert result['params'] == sum(p.numel() for p in twin.parameters())
    assert list(twin.state_dict()) == list(state['state_dict'])
