"""The YOLOX config pairs (nano and tiny; COCO, VOC, pasted Fashion-MNIST):
each NetAug config is its baseline twin plus NetAug, and exports to the
twin (strict weights, equal outputs, params and MACs)."""
import os.path as osp

import pytest
import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmnetaug.export import build_detector, export, export_config
from mmnetaug.space import set_base
from detector_helpers import _one_thread, randomise_bn  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PAIRS = [(f'configs/{folder}/netaug_yolox_{name}.py',
          f'configs/{folder}/baseline_yolox_{name}.py')
         for folder, names in (('yolox', ('nano', 'tiny', 'nano_voc',
                                          'tiny_voc')),
                               ('fashion', ('nano_fashion', 'tiny_fashion')))
         for name in names]


def _cfg(path):
    return Config.fromfile(osp.join(ROOT, path))


def _unscoped(node):
    """Without the ``_scope_`` keys mmengine adds to dicts read from
    mmdet's files (our restated hooks build in mmdet's scope anyway)."""
    if isinstance(node, dict):
        return {k: _unscoped(v) for k, v in node.items() if k != '_scope_'}
    if isinstance(node, (list, tuple)):
        return type(node)(_unscoped(v) for v in node)
    return node


@pytest.mark.parametrize('pair', PAIRS, ids=lambda p: osp.basename(p[0]))
def test_netaug_config_is_its_twin_plus_netaug(pair):
    """Stripped of NetAug (what export writes), the config is its twin:
    model, loop, hooks, data and schedule; the stock recipe stays."""
    netaug, twin = _cfg(pair[0]), _cfg(pair[1]).to_dict()
    assert netaug.model.backbone.type == 'mmnetaug.NetAugCSPDarknet'
    assert netaug.train_cfg.type == 'mmnetaug.NetAugTrainLoop'
    hooks = [h['type'] for h in netaug.custom_hooks]
    assert hooks == ['YOLOXModeSwitchHook', 'SyncNormHook', 'EMAHook',
                     'mmnetaug.NetAugHook']
    stock, replaced = export_config(netaug)
    stock, twin = _unscoped(stock.to_dict()), _unscoped(twin)
    assert set(replaced) == {'NetAugCSPDarknet', 'NetAugTrainLoop',
                             'NetAugHook'}
    for key in ('model', 'train_dataloader', 'val_dataloader',
                'optim_wrapper', 'param_scheduler', 'custom_hooks'):
        assert stock[key] == twin[key], key
    assert stock['train_cfg'] == dict(twin['train_cfg'],
                                      type='EpochBasedTrainLoop')
    pipeline = [t['type'] for t in stock['train_dataloader']['dataset'][
        'pipeline']]
    assert stock['train_dataloader']['dataset']['type'].endswith(
        'MultiImageMixDataset')  # mmdet's, or our fresh-partners one
    assert pipeline[:2] == ['Mosaic', 'RandomAffine']


def test_export_from_checkpoint_gives_the_twin(tmp_path):
    """tools/export.py's path, on YOLOX-tiny (YOLOX-nano's in-training
    export: test_ema.py): a NetAug checkpoint exports to weights that load
    strictly into the written config, with the supernet's base outputs and
    the twin's parameters and MACs."""
    pair = PAIRS[1]
    cfg = _cfg(pair[0])
    model = build_detector(cfg)
    randomise_bn(model)
    ckpt = str(tmp_path / 'supernet.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    result = export(cfg, ckpt, str(tmp_path / 'out'))
    assert result['max_abs_diff'] <= 1e-5
    assert 'NetAug' not in open(result['config']).read()
    stock_cfg = Config.fromfile(result['config'])
    assert 'mmnetaug' not in repr(stock_cfg.model)  # the data may need it
    stock = build_detector(stock_cfg).eval()
    load_checkpoint(stock, result['checkpoint'], map_location='cpu',
                    strict=True, logger='silent')
    model.eval()
    set_base(model)
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        outs, ref = stock._forward(x), model._forward(x)
    diff = max(float((a - b).abs().max())
               for level_a, level_b in zip(outs, ref)
               for a, b in zip(level_a, level_b))
    assert diff <= 1e-5
    twin = build_detector(_cfg(pair[1])).eval()
    counts = [
        get_model_complexity_info(m, inputs=(torch.zeros(1, 3, 64, 64), ),
                                  show_table=False, show_arch=False)
        for m in (stock, twin)
    ]
    assert counts[0]['params'] == counts[1]['params']
    assert counts[0]['flops'] == counts[1]['flops']
    assert result['params'] == sum(p.numel() for p in twin.parameters())
