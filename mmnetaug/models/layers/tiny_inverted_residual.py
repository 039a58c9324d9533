"""Inverted residual block of the reference tiny ImageNet models."""
from typing import Optional

import torch
import torch.utils.checkpoint as cp
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from .tiny_se import TinySELayer


class TinyInvertedResidual(BaseModule):
    """Expand 1x1 -> depthwise kxk -> [SE] -> linear 1x1 [+ identity].

    mmdet's blocks derive the hidden width and the shortcut from the other
    widths; the reference tiny models (MCUNet, ProxylessNAS, MobileNetV3)
    set both per block (rounded hidden widths, no shortcut on the first
    block of a stage even when widths match), so here both are explicit.
    Parameter names are those of mmdet's ``InvertedResidual``
    (``expand_conv``, ``depthwise_conv``, ``se``, ``linear_conv``).

    Args:
        in_channels (int): input width.
        out_channels (int): output width.
        mid_channels (int): hidden width (equal to ``in_channels`` when
            ``with_expand_conv`` is False).
        kernel_size (int): depthwise kernel size (odd).
        stride (int): depthwise stride, 1 or 2.
        with_expand_conv (bool): whether the block starts with a 1x1 expand.
        with_res_shortcut (bool): whether the block adds its input.
        se_channels (int): mid width of a squeeze-excitation after the
            depthwise conv; 0 for none.
        act_cfg (dict): activation of the expand and depthwise convs (the
            linear conv has none).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 mid_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 with_expand_conv: bool = True,
                 with_res_shortcut: bool = False,
                 se_channels: int = 0,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 with_cp: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg)
        if kernel_size % 2 != 1:
            raise ValueError(f'kernel_size must be odd, got {kernel_size}')
        if stride not in (1, 2):
            raise ValueError(f'stride must be 1 or 2, got {stride}')
        if with_res_shortcut and (stride != 1 or in_channels != out_channels):
            raise ValueError(
                'with_res_shortcut=True needs stride=1 and in_channels == '
                f'out_channels, got stride={stride}, in_channels='
                f'{in_channels}, out_channels={out_channels}')
        if not with_expand_conv and mid_channels != in_channels:
            raise ValueError(
                'without an expand conv the hidden width is the input width: '
                f'set mid_channels={in_channels} (got {mid_channels}) or '
                'with_expand_conv=True')
        self.with_expand_conv = with_expand_conv
        self.with_res_shortcut = with_res_shortcut
        self.with_cp = with_cp
        cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        if with_expand_conv:
            self.expand_conv = ConvModule(
                in_channels, mid_channels, 1, act_cfg=act_cfg, **cfg)
        self.depthwise_conv = ConvModule(
            mid_channels,
            mid_channels,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            groups=mid_channels,
            act_cfg=act_cfg,
            **cfg)
        self.se = (
            self.build_se(mid_channels, se_channels, conv_cfg)
            if se_channels else None)
        self.linear_conv = ConvModule(
            mid_channels, out_channels, 1, act_cfg=None, **cfg)

    def build_se(self, channels: int, se_channels: int,
                 conv_cfg: Optional[dict]) -> BaseModule:
        return TinySELayer(channels, se_channels, conv_cfg=conv_cfg)

    def set_active_widths(self, in_channels: int) -> None:
        """Static block: nothing to set (the NetAug twin sets its widths)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:

        def _inner_forward(x):
            self.set_active_widths(x.size(1))
            out = self.expand_conv(x) if self.with_expand_conv else x
            out = self.depthwise_conv(out)
            if self.se is not None:
                out = self.se(out)
            out = self.linear_conv(out)
            return x + out if self.with_res_shortcut else out

        if self.with_cp and x.requires_grad:
            return cp.checkpoint(_inner_forward, x, use_reentrant=False)
        return _inner_forward(x)
