"""YOLOX's PAFPN with dynamic widths, equal to mmdet's at base width."""
import math
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule

from mmnetaug.registry import MODELS
from mmnetaug.space import WidthChoice, check_factors
from mmnetaug.widths import (check_input, max_width, resolve_in_factors,
                              width_choice)
from ..layers import dynamic_conv_cfg, dynamic_norm_cfg
from ..layers.grouped_input import output_conv
from ..layers.netaug_csp_layer import NetAugCSPLayer
from ..stock_twin import StockTwinMixin

YOLOX_NECK_INIT_CFG = dict(
    type='Kaiming',
    layer='Conv2d',
    a=math.sqrt(5),
    distribution='uniform',
    mode='fan_in',
    nonlinearity='leaky_relu')


@MODELS.register_module()
class NetAugYOLOXPAFPN(StockTwinMixin, BaseModule):
    """mmdet's ``YOLOXPAFPN`` as the leading slice of a wider supernet.

    Takes the arguments of ``mmdet.models.YOLOXPAFPN`` (same order) plus
    the NetAug ones. Knobs: the output of every reduce conv and downsample
    conv, and of every CSP layer its branch width and output width (each
    bottleneck adds an expand knob); the out convs' width only when
    ``augment_outputs``. Every CSP layer reads a concatenation (upsampled
    or downsampled feature, lateral feature): its main and short convs
    read the active leading channels of each part, so the base neck stays
    the leading slice of every part. Inputs may have any width up to the
    widest that ``in_width_factors`` allows.

    Args:
        width_factors (Sequence[float]): width multipliers of the neck's
            own layers, 1.0 first.
        expand_factors (Sequence[float]): CSP bottleneck hidden width
            multipliers, 1.0 first.
        augment_outputs (bool): whether the outputs vary in width; the
            stock ``YOLOXHead`` needs base-width inputs (False).
        in_width_factors (Sequence[float], optional): the factors the
            inputs may be widened by (the backbone's ``width_factors`` when
            it augments its outputs; ``(1.0,)`` for fixed inputs). Defaults
            to ``width_factors``.
    """
    stock_type = 'YOLOXPAFPN'
    netaug_args = ('width_factors', 'expand_factors', 'augment_outputs',
                   'in_width_factors')
    # what RTMDet's neck (NetAugCSPNeXtPAFPN) changes: the CSP branch width
    # over the output width, the CSP blocks, the out convs
    branch_ratio = 0.5
    csp_block_args: dict = {}

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int,
                 num_csp_blocks: int = 3,
                 use_depthwise: bool = False,
                 upsample_cfg: dict = dict(scale_factor=2, mode='nearest'),
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: dict = dict(type='Swish'),
                 init_cfg=YOLOX_NECK_INIT_CFG,
                 width_factors: Sequence[float] = (1.0, 1.8, 2.6),
                 expand_factors: Sequence[float] = (1.0, 1.6, 2.2, 2.8),
                 augment_outputs: bool = False,
                 in_width_factors: Optional[Sequence[float]] = None):
        super().__init__(init_cfg)
        if len(in_channels) < 2:
            raise ValueError(f'in_channels={list(in_channels)} must give at '
                             'least two scales')
        if num_csp_blocks < 1:
            raise ValueError(
                f'num_csp_blocks must be >= 1, got {num_csp_blocks}')
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.width_factors = check_factors('width_factors', width_factors)
        self.expand_factors = check_factors('expand_factors', expand_factors)
        self.in_width_factors = resolve_in_factors(self.width_factors,
                                                   in_width_factors)
        self.augment_outputs = augment_outputs
        self.max_in_channels = [
            max_width(c, self.in_width_factors) for c in self.in_channels
        ]
        factors = self.width_factors
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg),
            act_cfg=act_cfg)
        layer_cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                         act_cfg=act_cfg)
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule
        n = len(self.in_channels)

        def csp_layer(in_groups, base_groups, out_base):
            return NetAugCSPLayer(
                sum(in_groups),
                width_choice(out_base, factors),
                width_choice(int(out_base * self.branch_ratio), factors),
                num_blocks=num_csp_blocks,
                add_identity=False,
                use_depthwise=use_depthwise,
                expand_factors=self.expand_factors,
                in_channel_groups=in_groups,
                base_in_groups=base_groups,
                **self.csp_block_args,
                **layer_cfg)

        self.upsample = nn.Upsample(**upsample_cfg)
        self.reduce_layers = nn.ModuleList()
        self.top_down_blocks = nn.ModuleList()
        self.reduce_choices = []
        feat_max = self.max_in_channels[-1]  # what the next reduce reads
        for idx in range(n - 1, 0, -1):
            base = self.in_channels[idx - 1]
            reduce = width_choice(base, factors)
            self.reduce_choices.append(reduce)
            self.reduce_layers.append(
                ConvModule(feat_max, reduce.max, 1, **cfg))
            block = csp_layer((reduce.max, self.max_in_channels[idx - 1]),
                              (base, base), base)
            self.top_down_blocks.append(block)
            feat_max = block.out_choice.max

        self.downsamples = nn.ModuleList()
        self.bottom_up_blocks = nn.ModuleList()
        self.down_choices = []
        out_maxes = [feat_max]  # the widest input of each out conv
        for idx in range(n - 1):
            base = self.in_channels[idx]
            down = width_choice(base, factors)
            self.down_choices.append(down)
            self.downsamples.append(
                conv(out_maxes[-1], down.max, 3, stride=2, padding=1, **cfg))
            lateral = self.reduce_choices[n - 2 - idx]
            block = csp_layer((down.max, lateral.max), (base, base),
                              self.in_channels[idx + 1])
            self.bottom_up_blocks.append(block)
            out_maxes.append(block.out_choice.max)

        out_factors = factors if augment_outputs else (1.0, )
        self.out_choices = [
            width_choice(out_channels, out_factors) for _ in range(n)
        ]
        self.out_convs = nn.ModuleList([
            self._out_conv(conv, out_maxes[i], self.out_choices[i].max, cfg)
            for i in range(n)
        ])

    @staticmethod
    def _out_conv(conv, in_channels: int, out_channels: int,
                  cfg: dict) -> nn.Module:
        """YOLOX's out convs are 1x1 ConvModules (``conv``: the module
        type ``use_depthwise`` picks, used by RTMDet's 3x3 ones)."""
        return ConvModule(in_channels, out_channels, 1, **cfg)

    def netaug_choices(self) -> List[WidthChoice]:
        """Reduce, downsample and out-conv knobs; CSP layers list theirs."""
        return (self.reduce_choices + self.down_choices +
                list(self.out_choices))

    def out_width_choices(self) -> List[WidthChoice]:
        return list(self.out_choices)

    def forward(self, inputs: Sequence[torch.Tensor]) -> tuple:
        n = len(self.in_channels)
        if len(inputs) != n:
            raise ValueError(f'{type(self).__name__} expects {n} feature '
                             f'maps, got {len(inputs)}')
        for i, x in enumerate(inputs):
            check_input(type(self).__name__, i, x, self.max_in_channels[i],
                        self.in_width_factors)
        # top-down path
        inner_outs = [inputs[-1]]
        for j, idx in enumerate(range(n - 1, 0, -1)):
            reduce = self.reduce_layers[j]
            reduce.conv.active_out_channels = self.reduce_choices[j].value
            feat_high = reduce(inner_outs[0])
            inner_outs[0] = feat_high
            up = self.upsample(feat_high)
            inner_outs.insert(
                0, self._concat_csp(self.top_down_blocks[j], up,
                                    inputs[idx - 1]))
        # bottom-up path
        outs = [inner_outs[0]]
        for idx in range(n - 1):
            down = self.downsamples[idx]
            output_conv(down).active_out_channels = \
                self.down_choices[idx].value
            outs.append(
                self._concat_csp(self.bottom_up_blocks[idx], down(outs[-1]),
                                 inner_outs[idx + 1]))
        for idx, conv in enumerate(self.out_convs):
            output_conv(conv).active_out_channels = \
                self.out_choices[idx].value
            outs[idx] = conv(outs[idx])
        return tuple(outs)

    @staticmethod
    def _concat_csp(block: NetAugCSPLayer, first: torch.Tensor,
                    second: torch.Tensor) -> torch.Tensor:
        block.active_in_groups = (int(first.size(1)), int(second.size(1)))
        return block(torch.cat([first, second], 1))
