"""MACs and parameters of the detector a config deploys.

For a NetAug config that is its exported stock twin (the supernet's extra
channels never run at test time), so a NetAug config and its baseline twin
report the same numbers. Counted by ``mmengine.analysis`` (fvcore's rules:
one multiply-add is one "flop", i.e. these are MACs) on ``forward(mode=
'tensor')``: backbone, neck and head, without post-processing, as mmdet's
``tools/analysis_tools/get_flops.py`` does.
"""
import copy
from typing import Optional, Sequence, Tuple

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config


def _find_resize(pipeline) -> Optional[Tuple[int, int]]:
    for step in pipeline or []:
        if step.get('type', '').split('.')[-1] == 'Resize' and 'scale' in \
                step:
            scale = step['scale']
            if isinstance(scale, int):
                return scale, scale
            width, height = scale
            return height, width
    return None


def test_input_size(cfg: Config) -> Tuple[int, int]:
    """(height, width) of the test pipeline's ``Resize`` (or the test
    dataset's ``img_size``)."""
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    while 'dataset' in dataset and 'pipeline' not in dataset:
        dataset = dataset['dataset']  # wrappers such as RepeatDataset
    for pipeline in (dataset.get('pipeline'), cfg.get('test_pipeline')):
        size = _find_resize(pipeline)
        if size is not None:
            return size
    if 'img_size' in dataset:  # a dataset drawing its own square images
        return dataset['img_size'], dataset['img_size']
    raise ValueError(
        f'{cfg.filename}: no Resize with a `scale` in '
        'test_dataloader.dataset.pipeline or test_pipeline; pass the input '
        'size explicitly (--shape H W)')


def deployed_complexity(cfg: Config,
                        input_size: Optional[Sequence[int]] = None) -> dict:
    """``dict(macs, params, input_size, netaug)`` for one image."""
    from mmnetaug.export import build_detector, export_config
    cfg = copy.deepcopy(cfg)
    # without NetAug modules the config deploys as it is, less what only
    # training needs (a KD teacher)
    stock_cfg, replaced = export_config(cfg, require_netaug=False)
    netaug = bool(replaced)
    height, width = input_size or test_input_size(cfg)
    model = build_detector(stock_cfg).eval()
    with torch.no_grad():
        info = get_model_complexity_info(
            model,
            inputs=(torch.zeros(1, 3, height, width), ),
            show_table=False,
            show_arch=False)
    return dict(
        macs=int(info['flops']),
        params=int(info['params']),
        input_size=(height, width),
        netaug=netaug)
