"""Map a stock module's ``conv_cfg``/``norm_cfg`` to their dynamic twins."""
from typing import Optional

import torch.nn as nn
from mmengine.utils.dl_utils.parrots_wrapper import SyncBatchNorm

from mmnetaug.ops import (DynamicBatchNorm2d, DynamicConv2d,
                          DynamicSyncBatchNorm2d)

_CONV_TYPES = ('Conv2d', 'Conv', 'mmnetaug.DynamicConv2d', 'DynamicConv2d',
               nn.Conv2d, DynamicConv2d)
_SYNC_NORM_TYPES = ('SyncBN', 'mmnetaug.DynamicSyncBatchNorm2d',
                    'DynamicSyncBatchNorm2d', nn.SyncBatchNorm, SyncBatchNorm,
                    DynamicSyncBatchNorm2d)
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
    """``norm_cfg`` of the base network -> the dynamic BN of the supernet:
    ``BN`` -> ``DynamicBatchNorm2d``, ``SyncBN`` -> ``DynamicSyncBatchNorm2d``
    (other arguments kept, e.g. ``requires_grad``, ``momentum``)."""
    cfg = dict(norm_cfg)
    norm_type = cfg.get('type')
    if norm_type in _SYNC_NORM_TYPES:
        cfg['type'] = DynamicSyncBatchNorm2d
    elif norm_type in _NORM_TYPES:
        cfg['type'] = DynamicBatchNorm2d
    else:
        raise ValueError(
            f'norm_cfg type {norm_type!r} has no dynamic-width twin; NetAug '
            'modules support norm_cfg=dict(type="BN", ...) and '
            'dict(type="SyncBN", ...) (GN, LN, IN and mmcv\'s MMSyncBN are '
            'not supported)')
    return cfg
