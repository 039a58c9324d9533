"""Map a stock module's ``conv_cfg``/``norm_cfg`` to their dynamic twins."""
from typing import Optional

import torch.nn as nn

from mmnetaug.ops import DynamicBatchNorm2d, DynamicConv2d

_CONV_TYPES = ('Conv2d', 'Conv', 'mmnetaug.DynamicConv2d', 'DynamicConv2d',
               nn.Conv2d, DynamicConv2d)
_NORM_TYPES = ('BN', 'BN2d', 'mmnetaug.DynamicBatchNorm2d',
               'DynamicBatchNorm2d', nn.BatchNorm2d, DynamicBatchNorm2d)


def dynamic_conv_cfg(conv_cfg: Optional[dict]) -> dict:
    """``conv_cfg`` of the base network -> the dynamic conv of the supernet."""
    cfg = dict(conv_cfg or dict(type='Conv2d'))
    if cfg.get('type') not in _CONV_TYPES:
        raise ValueError(
            f"conv_cfg type {cfg.get('type')!r} has no dynamic-width twin; "
            'NetAug modules support conv_cfg=None or dict(type="Conv2d")')
    cfg['type'] = DynamicConv2d
    return cfg


def dynamic_norm_cfg(norm_cfg: dict) -> dict:
    """``norm_cfg`` of the base network -> the dynamic BN of the supernet."""
    cfg = dict(norm_cfg)
    if cfg.get('type') not in _NORM_TYPES:
        raise ValueError(
            f"norm_cfg type {cfg.get('type')!r} has no dynamic-width twin; "
            'NetAug modules support norm_cfg=dict(type="BN", ...) (SyncBN '
            'and GN are not supported yet)')
    cfg['type'] = DynamicBatchNorm2d
    return cfg
