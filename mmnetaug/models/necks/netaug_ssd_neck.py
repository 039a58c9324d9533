"""SSD neck (extra layers) with dynamic widths, equal to mmdet's at base."""
from typing import List, Optional, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmdet.models.necks.ssd_neck import L2Norm
from mmengine.model import BaseModule

from mmnetaug.registry import MODELS
from mmnetaug.space import WidthChoice, check_factors
from mmnetaug.widths import (check_input, max_width, resolve_in_factors,
                              width_choice)
from ..layers import dynamic_conv_cfg, dynamic_norm_cfg
from ..stock_twin import StockTwinMixin


@MODELS.register_module()
class NetAugSSDNeck(StockTwinMixin, BaseModule):
    """mmdet's ``SSDNeck`` as the leading slice of a wider supernet.

    Takes the arguments of ``mmdet.models.SSDNeck`` plus the NetAug ones.
    The inputs pass through unchanged (at whatever width the backbone gives
    them); each extra layer gets a knob for its hidden width (the 1x1 conv,
    out_channel // 2, which the 3x3 depthwise conv follows) and, when
    ``augment_outputs``, one for its output width.

    Args:
        width_factors (Sequence[float]): width multipliers of the extra
            layers, 1.0 first.
        augment_outputs (bool): whether the extra layers' outputs vary in
            width. The stock ``SSDHead`` needs base-width inputs (False, and
            a backbone without ``augment_outputs``); ``NetAugSSDHead`` reads
            any width (True).
        in_width_factors (Sequence[float], optional): the factors the inputs
            may be widened by (the backbone's ``width_factors`` when it
            augments its outputs; ``(1.0,)`` for fixed inputs). Defaults to
            ``width_factors``.
    """
    stock_type = 'SSDNeck'
    netaug_args = ('width_factors', 'augment_outputs', 'in_width_factors')

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: Sequence[int],
                 level_strides: Sequence[int],
                 level_paddings: Sequence[int],
                 l2_norm_scale: Optional[float] = 20.,
                 last_kernel_size: int = 3,
                 use_depthwise: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='ReLU'),
                 width_factors: Sequence[float] = (1.0, 1.8, 2.6),
                 augment_outputs: bool = False,
                 in_width_factors: Optional[Sequence[float]] = None,
                 init_cfg=[
                     dict(
                         type='Xavier', distribution='uniform',
                         layer='Conv2d'),
                     dict(type='Constant', val=1, layer='BatchNorm2d'),
                 ]):
        super().__init__(init_cfg)
        self._check_args(in_channels, out_channels, level_strides,
                         level_paddings)
        self.width_factors = check_factors('width_factors', width_factors)
        self.in_width_factors = resolve_in_factors(self.width_factors,
                                                   in_width_factors)
        self.augment_outputs = augment_outputs
        self.max_in_channels = [
            max_width(c, self.in_width_factors) for c in in_channels
        ]
        if l2_norm_scale:
            if len(self.in_width_factors) > 1:
                raise ValueError(
                    'NetAugSSDNeck: l2_norm_scale needs fixed-width inputs '
                    '(its scale has one weight per input channel); set '
                    'in_width_factors=(1.0,) with a backbone that does not '
                    'augment its outputs, or l2_norm_scale=None (SSDLite)')
            self.l2_norm = L2Norm(in_channels[0], l2_norm_scale)
            init = self.init_cfg or []
            init = [init] if isinstance(init, dict) else list(init)
            self.init_cfg = init + [
                dict(type='Constant', val=self.l2_norm.scale,
                     override=dict(name='l2_norm'))
            ]

        cfg = dict(
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg) if norm_cfg else None,
            act_cfg=act_cfg)
        second_conv = (
            DepthwiseSeparableConvModule if use_depthwise else ConvModule)
        out_factors = self.width_factors if augment_outputs else (1.0, )
        extra_channels = out_channels[len(in_channels):]
        self.hidden_choices, self.out_choices = [], []
        self.extra_layers = nn.ModuleList()
        prev_max = self.max_in_channels[-1]
        for i, (out_c, stride, padding) in enumerate(
                zip(extra_channels, level_strides, level_paddings)):
            hidden = width_choice(out_c // 2, self.width_factors)
            out = width_choice(out_c, out_factors)
            kernel_size = (
                last_kernel_size if i == len(extra_channels) - 1 else 3)
            self.extra_layers.append(
                nn.Sequential(
                    ConvModule(prev_max, hidden.max, 1, **cfg),
                    second_conv(
                        hidden.max,
                        out.max,
                        kernel_size,
                        stride=stride,
                        padding=padding,
                        **cfg)))
            self.hidden_choices.append(hidden)
            self.out_choices.append(out)
            prev_max = out.max

    @staticmethod
    def _check_args(in_channels, out_channels, level_strides, level_paddings):
        num_extra = len(out_channels) - len(in_channels)
        if num_extra <= 0 or list(in_channels) != list(
                out_channels[:len(in_channels)]):
            raise ValueError(
                f'out_channels={list(out_channels)} must start with '
                f'in_channels={list(in_channels)} (the inputs pass through) '
                'and add one width per extra layer')
        if not num_extra == len(level_strides) == len(level_paddings):
            raise ValueError(
                f'{num_extra} extra layers need {num_extra} level_strides '
                f'and level_paddings, got {len(level_strides)} and '
                f'{len(level_paddings)}')

    def netaug_choices(self) -> List[WidthChoice]:
        return [
            knob for pair in zip(self.hidden_choices, self.out_choices)
            for knob in pair
        ]

    def forward(self, inputs):
        for i, x in enumerate(inputs):
            check_input(type(self).__name__, i, x, self.max_in_channels[i],
                        self.in_width_factors)
        outs = list(inputs)
        if hasattr(self, 'l2_norm'):
            outs[0] = self.l2_norm(outs[0])
        feat = outs[-1]
        for layer, hidden, out in zip(self.extra_layers, self.hidden_choices,
                                      self.out_choices):
            layer[0].conv.active_out_channels = hidden.value
            last = layer[1]
            last = getattr(last, 'pointwise_conv', last)
            last.conv.active_out_channels = out.value
            feat = layer(feat)
            outs.append(feat)
        return tuple(outs)
