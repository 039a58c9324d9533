"""RTMDet's CSPNeXtPAFPN with dynamic widths, equal to mmdet's at base
width: YOLOX's PAFPN supernet with RTMDet's parts."""
import math
from typing import Optional, Sequence

import torch.nn as nn

from mmnetaug.registry import MODELS
from .netaug_yolox_pafpn import NetAugYOLOXPAFPN

# mmdet's CSPNeXtPAFPN default
CSPNEXT_NECK_INIT_CFG = dict(
    type='Kaiming',
    layer='Conv2d',
    a=math.sqrt(5),
    distribution='uniform',
    mode='fan_in',
    nonlinearity='leaky_relu')


@MODELS.register_module()
class NetAugCSPNeXtPAFPN(NetAugYOLOXPAFPN):
    """mmdet's ``CSPNeXtPAFPN`` as the leading slice of a wider supernet.

    Takes the arguments of ``mmdet.models.CSPNeXtPAFPN`` (same order) plus
    the NetAug ones; built as ``NetAugYOLOXPAFPN`` with RTMDet's parts:
    CSP layers of CSPNeXt blocks (no channel attention, as mmdet's neck),
    branch width ``expand_ratio`` of the output, 3x3 out convs. Knobs: the
    output of every reduce and downsample conv, and of every CSP layer its
    branch and output width (each block adds an expand knob); the out
    convs' width only when ``augment_outputs``. Every CSP layer reads a
    concatenation and takes the active leading channels of each part, so
    the base neck stays the leading slice of every part. Inputs may have
    any width up to the widest that ``in_width_factors`` allows.

    Args:
        width_factors (Sequence[float]): width multipliers of the neck's
            own layers, 1.0 first.
        expand_factors (Sequence[float]): CSPNeXt block hidden width
            multipliers, 1.0 first.
        augment_outputs (bool): whether the outputs vary in width; a stock
            ``RTMDetSepBNHead`` needs base-width inputs (False).
        in_width_factors (Sequence[float], optional): the factors the
            inputs may be widened by (the backbone's ``width_factors`` when
            it augments its outputs; ``(1.0,)`` for fixed inputs). Defaults
            to ``width_factors``.
    """
    stock_type = 'CSPNeXtPAFPN'
    csp_block_args = dict(use_cspnext_block=True)

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int,
                 num_csp_blocks: int = 3,
                 use_depthwise: bool = False,
                 expand_ratio: float = 0.5,
                 upsample_cfg: dict = dict(scale_factor=2, mode='nearest'),
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: dict = dict(type='Swish'),
                 init_cfg=CSPNEXT_NECK_INIT_CFG,
                 width_factors: Sequence[float] = (1.0, 1.8, 2.6),
                 expand_factors: Sequence[float] = (1.0, 1.6, 2.2, 2.8),
                 augment_outputs: bool = False,
                 in_width_factors: Optional[Sequence[float]] = None):
        if not expand_ratio > 0:
            raise ValueError(f'expand_ratio must be > 0, got {expand_ratio}; '
                             'mmdet uses 0.5')
        self.branch_ratio = expand_ratio  # read while the layers are built
        super().__init__(in_channels, out_channels, num_csp_blocks,
                         use_depthwise, upsample_cfg, conv_cfg, norm_cfg,
                         act_cfg, init_cfg, width_factors, expand_factors,
                         augment_outputs, in_width_factors)

    @staticmethod
    def _out_conv(conv, in_channels: int, out_channels: int,
                  cfg: dict) -> nn.Module:
        return conv(in_channels, out_channels, 3, padding=1, **cfg)
