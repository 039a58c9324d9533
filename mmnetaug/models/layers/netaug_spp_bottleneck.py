"""mmdet's ``SPPBottleneck`` (CSPDarknet's last stage) with dynamic widths."""
from typing import Optional, Sequence

import torch
from mmdet.models.backbones.csp_darknet import SPPBottleneck

from mmnetaug.space import WidthChoice
from .dynamic_cfg import dynamic_conv_cfg, dynamic_norm_cfg
from .grouped_input import spread_stock_columns
from .netaug_csp_layer import CSP_ACT_CFG, CSP_NORM_CFG


class NetAugSPPBottleneck(SPPBottleneck):
    """The stock module built with dynamic layers at max width.

    conv1's width follows the input (mmdet's ``in_channels // 2``, no knob
    of its own); conv2 reads the concatenation of conv1's output and its
    max-pooled copies, one channel group per part, and writes
    ``out_choice``'s width.

    Args:
        in_channels (int): maximum input width.
        out_choice (WidthChoice): output width knob.
        base_in_channels (int): the stock module's input width, which lays
            out a stock checkpoint's conv2 weight.
    """

    def __init__(self,
                 in_channels: int,
                 out_choice: WidthChoice,
                 base_in_channels: int,
                 kernel_sizes: Sequence[int] = (5, 9, 13),
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = CSP_NORM_CFG,
                 act_cfg: dict = CSP_ACT_CFG,
                 init_cfg=None):
        super().__init__(
            in_channels,
            out_choice.max,
            kernel_sizes=kernel_sizes,
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg),
            act_cfg=act_cfg,
            init_cfg=init_cfg)
        self.out_choice = out_choice
        self.num_parts = len(kernel_sizes) + 1
        self.conv2.conv.set_in_channel_groups(
            (in_channels // 2, ) * self.num_parts)
        self.base_in_groups = (base_in_channels // 2, ) * self.num_parts

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        spread_stock_columns(state_dict, prefix + 'conv2.conv.weight',
                             self.conv2.conv, self.base_in_groups)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def netaug_choices(self):
        return [self.out_choice]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mid = int(x.size(1)) // 2
        self.conv1.conv.active_out_channels = mid
        self.conv2.conv.active_in_groups = (mid, ) * self.num_parts
        self.conv2.conv.active_out_channels = self.out_choice.value
        return super().forward(x)
