import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from mmnetaug.export import build_detector, export, export_config
from mmnetaug.space import set_base

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
NETAUG_CFG = osp.join(ROOT, 'configs', 'netaug_yolo_mbv2.py')
BASELINE_CFG = osp.join(ROOT, 'configs', 'baseline_yolo_mbv2.py')

# Runs in a fresh interpreter that never imports mmnetaug.
STOCK_CHECK = r'''
import json, sys, torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
import mmdet.models
from mmdet.registry import MODELS
cfg_path, ckpt_path, inputs_path, out_path = sys.argv[1:]
cfg = Config.fromfile(cfg_path)
init_default_scope('mmdet')
model = MODELS.build(cfg.model).eval()
load_checkpoint(model, ckpt_path, map_location='cpu', strict=True)
with torch.no_grad():
    outs = model._forward(torch.load(inputs_path))
torch.save(outs, out_path)
print(json.dumps(dict(
    params=sum(p.numel() for p in model.parameters()),
    mmnetaug=[m for m in sys.modules if m.startswith('mmnetaug')])))
'''


def _randomise_bn(model):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.3, 0.3)
            m.running_var.uniform_(0.5, 1.5)


def _flatten(outs):
    if isinstance(outs, torch.Tensor):
        return [outs]
    return [t for o in outs for t in _flatten(o)]


def test_exported_yolo_loads_strictly_without_mmnetaug(tmp_path):
    cfg = Config.fromfile(NETAUG_CFG)
    model = build_detector(cfg)
    _randomise_bn(model)
    ckpt = tmp_path / 'supernet.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)

    result = export(cfg, str(ckpt), str(tmp_path / 'out'))
    assert result['max_abs_diff'] <= 1e-5
    assert osp.basename(result['config']) == 'netaug_yolo_mbv2.py'
    text = open(result['config']).read()
    assert 'mmnetaug' not in text and 'NetAug' not in text

    inputs = torch.randn(2, 3, 96, 96)
    torch.save(inputs, tmp_path / 'inputs.pth')
    env = dict(os.environ, PYTHONPATH='')
    proc = subprocess.run(
        [sys.executable, '-c', STOCK_CHECK, result['config'],
         result['checkpoint'], str(tmp_path / 'inputs.pth'),
         str(tmp_path / 'outs.pth')],
        capture_output=True, text=True, cwd=str(tmp_path), env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info['mmnetaug'] == []

    model.eval()
    set_base(model)
    with torch.no_grad():
        ref = model._forward(inputs)
    outs = torch.load(tmp_path / 'outs.pth')
    for a, b in zip(_flatten(outs), _flatten(ref)):
        assert (a - b).abs().max() <= 1e-5

    baseline = build_detector(Config.fromfile(BASELINE_CFG))
    assert info['params'] == sum(p.numel() for p in baseline.parameters())


def test_export_config_swaps_types_and_drops_netaug_parts():
    cfg = Config.fromfile(NETAUG_CFG)
    stock, replaced = export_config(cfg)
    assert stock.model.backbone.type == 'MobileNetV2'
    assert 'width_factors' not in stock.model.backbone
    assert stock.train_cfg.type == 'EpochBasedTrainLoop'
    assert 'aug_loss_weight' not in stock.train_cfg
    assert not stock.get('custom_hooks')
    assert 'custom_imports' not in stock
    assert set(replaced) == {'NetAugMobileNetV2', 'NetAugTrainLoop',
                             'NetAugHook'}


def test_stock_checkpoint_is_refused_and_nothing_written(tmp_path):
    cfg = Config.fromfile(NETAUG_CFG)
    stock_model = build_detector(Config.fromfile(BASELINE_CFG))
    ckpt = tmp_path / 'stock.pth'
    torch.save({'state_dict': stock_model.state_dict()}, ckpt)
    out = tmp_path / 'out'
    with pytest.raises(ValueError, match='not a NetAug supernet checkpoint'):
        export(cfg, str(ckpt), str(out))
    assert not out.exists() or not os.listdir(out)


def test_stock_config_is_refused(tmp_path):
    cfg = Config.fromfile(BASELINE_CFG)
    with pytest.raises(ValueError, match='no NetAug modules'):
        export(cfg, 'unused.pth', str(tmp_path / 'out'))
    assert not (tmp_path / 'out').exists()


def test_export_cli(tmp_path):
    cfg = Config.fromfile(NETAUG_CFG)
    model = build_detector(cfg)
    ckpt = tmp_path / 'supernet.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'export.py'), NETAUG_CFG,
         str(ckpt), '--out-dir', str(tmp_path / 'o'), '--name', 'tiny'],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / 'o' / 'tiny.py').exists()
    assert (tmp_path / 'o' / 'tiny.pth').exists()
    bad = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'export.py'), BASELINE_CFG,
         str(ckpt), '--out-dir', str(tmp_path / 'b')],
        capture_output=True, text=True)
    assert bad.returncode != 0 and 'no NetAug modules' in bad.stderr


def test_exported_detector_costs_what_the_baseline_twin_costs():
    """mmengine's counter (jit trace): the exported detector and the
    supernet at base width have the twin's MACs; exported params match."""
    from mmengine.analysis import get_model_complexity_info

    from mmnetaug.export import to_static

    def count(model):
        info = get_model_complexity_info(model.eval(), (3, 64, 64),
                                         show_table=False, show_arch=False)
        return info['flops'], info['params']

    supernet = build_detector(Config.fromfile(
        osp.join(ROOT, 'configs', 'netaug_yolo_mbv2_tiny.py')))
    twin = build_detector(Config.fromfile(
        osp.join(ROOT, 'configs', 'baseline_yolo_mbv2_tiny.py')))
    twin_macs, twin_params = count(twin)
    assert count(to_static(supernet)) == (twin_macs, twin_params)
    set_base(supernet)
    assert count(supernet)[0] == twin_macs
