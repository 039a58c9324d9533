"""mmdet's ``CSPNeXtBlock`` (RTMDet) with dynamic widths, same names."""
from typing import List, Optional, Sequence

import torch
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule

from mmnetaug.space import EXPAND, WidthChoice
from mmnetaug.widths import MMDET, round_hidden
from .channel_sorting import sort_hidden_channels
from .dynamic_cfg import dynamic_conv_cfg, dynamic_norm_cfg
from .grouped_input import output_conv


class NetAugCSPNeXtBlock(BaseModule):
    """mmdet's ``CSPNeXtBlock`` as ``CSPLayer`` builds it (input width =
    output width, expansion 1.0), allocated at max width.

    conv1 (3x3, depthwise separable with ``use_depthwise``) writes the
    hidden width, conv2 (depthwise separable, ``kernel_size``) maps it
    back. As ``NetAugDarknetBottleneck``: the block keeps its input width
    (one CSP branch width) and the hidden width is the input width times
    its own expand knob, mmdet's ``int(channels * 1.0)`` at 1.0.

    Args:
        channels (int): maximum input (= output) width.
        expand_factors (Sequence[float]): hidden width multipliers.
        add_identity (bool): add the input to the output, as mmdet does.
        use_depthwise (bool): conv1 is depthwise separable.
        kernel_size (int): conv2's kernel size (mmdet: 5).
    """

    def __init__(self,
                 channels: int,
                 expand_factors: Sequence[float] = (1.0, ),
                 add_identity: bool = True,
                 use_depthwise: bool = False,
                 kernel_size: int = 5,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: dict = dict(type='SiLU'),
                 init_cfg=None):
        super().__init__(init_cfg)
        self.expand_choice = WidthChoice(tuple(expand_factors), EXPAND)
        self.add_identity = add_identity
        # mmdet 3.3.0 builds conv1 without conv_cfg; both are dynamic here
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg),
            act_cfg=act_cfg)
        hidden = self.hidden_channels(channels, max(expand_factors))
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule
        self.conv1 = conv(channels, hidden, 3, stride=1, padding=1, **cfg)
        self.conv2 = DepthwiseSeparableConvModule(
            hidden,
            channels,
            kernel_size,
            stride=1,
            padding=kernel_size // 2,
            **cfg)

    @staticmethod
    def hidden_channels(channels: int, factor: float) -> int:
        return round_hidden(channels * factor, MMDET)

    def netaug_choices(self) -> List[WidthChoice]:
        return [self.expand_choice]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = int(x.size(1))
        output_conv(self.conv1).active_out_channels = self.hidden_channels(
            channels, self.expand_choice.value)
        output_conv(self.conv2).active_out_channels = channels
        out = self.conv2(self.conv1(x))
        return out + x if self.add_identity else out

    def sort_channels(self) -> list:
        """Sort the hidden channels by the L1 norm of conv2's pointwise
        weights reading them (function-preserving at max width)."""
        first = (self.conv1.pointwise_conv if isinstance(
            self.conv1, DepthwiseSeparableConvModule) else self.conv1)
        return sort_hidden_channels([first, self.conv2.depthwise_conv],
                                    output_conv(self.conv2).weight)
