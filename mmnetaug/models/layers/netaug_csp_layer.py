"""mmdet's ``CSPLayer`` (YOLOX) with dynamic widths, same parameter names."""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule

from mmnetaug.space import EXPAND, WidthChoice
from mmnetaug.widths import MMDET, round_hidden
from .channel_sorting import sort_hidden_channels
from .dynamic_cfg import dynamic_conv_cfg, dynamic_norm_cfg
from .grouped_input import output_conv, spread_stock_columns
from .netaug_channel_attention import NetAugChannelAttention
from .netaug_cspnext_block import NetAugCSPNeXtBlock

# mmdet's defaults for the YOLOX family
CSP_NORM_CFG = dict(type='BN', momentum=0.03, eps=0.001)
CSP_ACT_CFG = dict(type='Swish')


class NetAugDarknetBottleneck(BaseModule):
    """mmdet's ``DarknetBottleneck`` as ``CSPLayer`` builds it (input width
    = output width, expansion 1.0), allocated at max width.

    The block keeps its input width (a CSP branch has one width, set by
    the layer's ``mid_choice``); its hidden width (conv1's output) is the
    input width times an expand factor of its own knob, so at factor 1.0
    it is mmdet's ``int(channels * 1.0)``.

    Args:
        channels (int): maximum input (= output) width.
        expand_factors (Sequence[float]): hidden width multipliers.
        add_identity (bool): add the input to the output, as mmdet does.
        use_depthwise (bool): conv2 is depthwise separable (YOLOX-nano).
    """

    def __init__(self,
                 channels: int,
                 expand_factors: Sequence[float] = (1.0, ),
                 add_identity: bool = True,
                 use_depthwise: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = CSP_NORM_CFG,
                 act_cfg: dict = CSP_ACT_CFG,
                 init_cfg=None):
        super().__init__(init_cfg)
        self.expand_choice = WidthChoice(tuple(expand_factors), EXPAND)
        self.add_identity = add_identity
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg),
            act_cfg=act_cfg)
        hidden = self.hidden_channels(channels, max(expand_factors))
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule
        self.conv1 = ConvModule(channels, hidden, 1, **cfg)
        self.conv2 = conv(hidden, channels, 3, stride=1, padding=1, **cfg)

    @staticmethod
    def hidden_channels(channels: int, factor: float) -> int:
        return round_hidden(channels * factor, MMDET)

    def netaug_choices(self) -> List[WidthChoice]:
        return [self.expand_choice]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = int(x.size(1))
        self.conv1.conv.active_out_channels = self.hidden_channels(
            channels, self.expand_choice.value)
        output_conv(self.conv2).active_out_channels = channels
        out = self.conv2(self.conv1(x))
        return out + x if self.add_identity else out

    def sort_channels(self) -> list:
        """Sort the hidden channels by the L1 norm of the weights reading
        them (function-preserving at max width), as for inverted blocks."""
        producers = [self.conv1]
        if isinstance(self.conv2, DepthwiseSeparableConvModule):
            producers.append(self.conv2.depthwise_conv)
        return sort_hidden_channels(producers, output_conv(self.conv2).weight)


class NetAugCSPLayer(BaseModule):
    """mmdet's ``CSPLayer`` (main and short branch, concatenated, then
    ``final_conv``) allocated at max width.

    The concatenation ``cat((main, short))`` yields two channel groups, so
    ``final_conv`` reads the active leading channels of each: the base
    layer stays the leading slice of every part. Both branches share one
    width knob (``mid_choice``; mmdet gives them one width too); the
    output follows ``out_choice``. When the layer's own input is a
    concatenation (the PAFPN necks), ``in_channel_groups`` gives its parts
    and the owner sets ``active_in_groups`` before each forward.
    ``use_cspnext_block`` and ``channel_attention`` build RTMDet's variant
    (mmdet's ``CSPLayer`` flags); the attention reads and writes the two
    groups of the concatenation.

    Args:
        in_channels (int): maximum input width.
        out_choice (WidthChoice): output width knob.
        mid_choice (WidthChoice): width of both branches; its base is
            mmdet's ``int(out_channels * expand_ratio)``.
        num_blocks (int): bottlenecks on the main branch.
        add_identity (bool): whether the bottlenecks add their input.
        use_depthwise (bool): depthwise separable bottleneck conv2.
        expand_factors (Sequence[float]): bottleneck hidden multipliers.
        in_channel_groups (Sequence[int], optional): maximum widths of the
            parts of a concatenated input.
        base_in_groups (Sequence[int], optional): their base widths (the
            layout of a stock checkpoint).
        use_cspnext_block (bool): CSPNeXt blocks instead of Darknet
            bottlenecks (RTMDet).
        channel_attention (bool): channel attention on the concatenation
            before ``final_conv`` (RTMDet's backbone).
    """

    def __init__(self,
                 in_channels: int,
                 out_choice: WidthChoice,
                 mid_choice: WidthChoice,
                 num_blocks: int = 1,
                 add_identity: bool = True,
                 use_depthwise: bool = False,
                 expand_factors: Sequence[float] = (1.0, ),
                 in_channel_groups: Optional[Sequence[int]] = None,
                 base_in_groups: Optional[Sequence[int]] = None,
                 use_cspnext_block: bool = False,
                 channel_attention: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = CSP_NORM_CFG,
                 act_cfg: dict = CSP_ACT_CFG,
                 init_cfg=None):
        super().__init__(init_cfg)
        self.out_choice = out_choice
        self.mid_choice = mid_choice
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg),
            act_cfg=act_cfg)
        mid = mid_choice.max
        self.main_conv = ConvModule(in_channels, mid, 1, **cfg)
        self.short_conv = ConvModule(in_channels, mid, 1, **cfg)
        self.final_conv = ConvModule(2 * mid, out_choice.max, 1, **cfg)
        self.final_conv.conv.set_in_channel_groups((mid, mid))
        block = (NetAugCSPNeXtBlock
                 if use_cspnext_block else NetAugDarknetBottleneck)
        self.blocks = nn.Sequential(*[
            block(
                mid,
                expand_factors,
                add_identity,
                use_depthwise,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg) for _ in range(num_blocks)
        ])
        self.channel_attention = channel_attention
        if channel_attention:
            self.attention = NetAugChannelAttention(
                (mid, mid), (mid_choice.base, ) * 2)
        # convs reading a concatenation -> the base widths of its parts
        self.grouped_inputs = {'final_conv': (mid_choice.base, ) * 2}
        self.in_channel_groups = None
        self.active_in_groups = None
        if in_channel_groups is not None:
            if base_in_groups is None or len(base_in_groups) != len(
                    in_channel_groups):
                raise ValueError('base_in_groups must give the base width '
                                 'of each part of in_channel_groups')
            self.in_channel_groups = tuple(in_channel_groups)
            for name in ('main_conv', 'short_conv'):
                getattr(self, name).conv.set_in_channel_groups(
                    in_channel_groups)
                self.grouped_inputs[name] = tuple(base_in_groups)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for name, base_groups in self.grouped_inputs.items():
            spread_stock_columns(state_dict, f'{prefix}{name}.conv.weight',
                                 getattr(self, name).conv, base_groups)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def netaug_choices(self) -> List[WidthChoice]:
        """The branch and output knobs; the bottlenecks list their own."""
        return [self.mid_choice, self.out_choice]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mid = self.mid_choice.value
        for conv_module in (self.main_conv, self.short_conv):
            conv_module.conv.active_out_channels = mid
            if self.in_channel_groups is not None:
                conv_module.conv.active_in_groups = self.active_in_groups
        self.final_conv.conv.active_in_groups = (mid, mid)
        self.final_conv.conv.active_out_channels = self.out_choice.value
        x_short = self.short_conv(x)
        x_main = self.blocks(self.main_conv(x))
        x_final = torch.cat((x_main, x_short), dim=1)
        if self.channel_attention:
            self.attention.active_groups = (mid, mid)
            x_final = self.attention(x_final)
        return self.final_conv(x_final)
