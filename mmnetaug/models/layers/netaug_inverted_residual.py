"""MobileNetV2 inverted residual block with dynamic widths."""
from typing import List, Optional

import torch
import torch.utils.checkpoint as cp
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmnetaug.space import EXPAND, WidthChoice
from mmnetaug.widths import MMDET, round_hidden
from .channel_sorting import sort_hidden_channels
from .dynamic_cfg import dynamic_conv_cfg, dynamic_norm_cfg


class NetAugInvertedResidual(BaseModule):
    """mmdet's ``InvertedResidual`` (same parameter names) at max width.

    Args:
        in_channels (int): maximum input width.
        out_choice (WidthChoice): output width knob. A block with an identity
            shortcut ignores it and keeps its input width, as in the
            reference code (the stage's knob then sets both).
        expand_ratio (float): base hidden width / input width.
        expand_factors (tuple): multipliers of ``expand_ratio``; one knob per
            block. Hidden width = round(input width x ratio x factor).
        with_res_shortcut (bool): whether the base block adds its input.
    """

    def __init__(self,
                 in_channels: int,
                 out_choice: WidthChoice,
                 expand_ratio: float,
                 expand_factors=(1.0, ),
                 stride: int = 1,
                 with_res_shortcut: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 with_cp: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg)
        self.out_choice = out_choice
        self.expand_ratio = expand_ratio
        self.with_expand_conv = expand_ratio != 1
        self.with_res_shortcut = with_res_shortcut
        self.with_cp = with_cp
        self.expand_choice = (
            WidthChoice(expand_factors, EXPAND)
            if self.with_expand_conv else None)
        mid_channels = (
            self.hidden_channels(in_channels, max(expand_factors))
            if self.with_expand_conv else in_channels)
        out_channels = in_channels if with_res_shortcut else out_choice.max
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg))
        if self.with_expand_conv:
            self.expand_conv = ConvModule(
                in_channels, mid_channels, 1, act_cfg=act_cfg, **cfg)
        self.depthwise_conv = ConvModule(
            mid_channels,
            mid_channels,
            3,
            stride=stride,
            padding=1,
            groups=mid_channels,
            act_cfg=act_cfg,
            **cfg)
        self.linear_conv = ConvModule(
            mid_channels, out_channels, 1, act_cfg=None, **cfg)

    def hidden_channels(self, in_channels: int, factor: float) -> int:
        """mmdet's ``int(round(input width x ratio))``, times the factor."""
        return round_hidden(in_channels * self.expand_ratio * factor, MMDET)

    def netaug_choices(self) -> List[WidthChoice]:
        knobs = [] if self.with_res_shortcut else [self.out_choice]
        return knobs + ([self.expand_choice] if self.expand_choice else [])

    def forward(self, x: torch.Tensor) -> torch.Tensor:

        def _inner_forward(x):
            in_channels = int(x.size(1))  # a plain int under jit tracing
            out = x
            if self.with_expand_conv:
                self.expand_conv.conv.active_out_channels = \
                    self.hidden_channels(in_channels,
                                         self.expand_choice.value)
                out = self.expand_conv(out)
            out = self.depthwise_conv(out)
            self.linear_conv.conv.active_out_channels = (
                in_channels
                if self.with_res_shortcut else self.out_choice.value)
            out = self.linear_conv(out)
            return x + out if self.with_res_shortcut else out

        if self.with_cp and x.requires_grad:
            return cp.checkpoint(_inner_forward, x, use_reentrant=False)
        return _inner_forward(x)

    def sort_channels(self) -> list:
        """Sort hidden channels by importance (function-preserving)."""
        if not self.with_expand_conv:
            return []
        return sort_hidden_channels((self.expand_conv, self.depthwise_conv),
                                    self.linear_conv.conv.weight)
