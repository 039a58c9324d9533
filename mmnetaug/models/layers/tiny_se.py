"""Squeeze-excitation of the reference MobileNetV3 (hard-sigmoid gate)."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule


class TinySELayer(BaseModule):
    """Channel attention: pool, 1x1 reduce + act, 1x1 expand, hard sigmoid.

    The mid width is given explicitly (not as a ratio) because the reference
    rounds it per block, e.g. ``max(make_divisible(mid / 4, 8), 16)``. Both
    convs have a bias and no norm, as in the reference ``SELayer``; the
    parameter names (``conv1.conv``, ``conv2.conv``) follow mmdet's SELayer.

    Args:
        channels (int): input (and output) width.
        mid_channels (int): width of the squeezed representation.
        conv_cfg (dict, optional): conv config of both 1x1 convs.
        act_cfg (dict): activation after the reduce conv.
    """

    def __init__(self,
                 channels: int,
                 mid_channels: int,
                 conv_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(init_cfg)
        if channels < 1 or mid_channels < 1:
            raise ValueError(
                f'TinySELayer needs channels >= 1 and mid_channels >= 1, got '
                f'channels={channels}, mid_channels={mid_channels}')
        self.channels = channels
        self.mid_channels = mid_channels
        self.conv1 = ConvModule(
            channels, mid_channels, 1, conv_cfg=conv_cfg, act_cfg=act_cfg)
        self.conv2 = ConvModule(
            mid_channels, channels, 1, conv_cfg=conv_cfg, act_cfg=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        attention = F.adaptive_avg_pool2d(x, 1)
        attention = self.conv2(self.conv1(attention))
        return x * F.hardsigmoid(attention)
