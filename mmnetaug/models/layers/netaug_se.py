"""Squeeze-excitation whose mid width follows its input width."""
from typing import List, Optional

import torch
import torch.nn as nn

from mmnetaug.widths import REFERENCE, round_hidden
from .dynamic_cfg import dynamic_conv_cfg
from .tiny_se import TinySELayer


def _mid_channels(channels: int, reduction: float) -> int:
    """Reference rounding (``make_divisible(v, 1)``: round half up)."""
    return round_hidden(channels / reduction, REFERENCE)


class NetAugSELayer(TinySELayer):
    """``TinySELayer`` (same parameter names) allocated at maximum width.

    The SE block sits inside an inverted block whose hidden width changes
    with the sampled sub-network. As in the reference ``DynamicSE``, the mid
    width keeps the base network's reduction ratio: mid = round(in /
    (base_channels / base_mid_channels)), so at base width it is exactly
    ``base_mid_channels`` and the layer equals its static twin.

    Args:
        channels (int): maximum input width.
        base_channels (int): input width of the base network.
        base_mid_channels (int): mid width of the base network.
    """

    def __init__(self,
                 channels: int,
                 base_channels: int,
                 base_mid_channels: int,
                 conv_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg=None):
        if not 1 <= base_channels <= channels or base_mid_channels < 1:
            raise ValueError(
                'NetAugSELayer needs 1 <= base_channels <= channels and '
                f'base_mid_channels >= 1, got channels={channels}, '
                f'base_channels={base_channels}, '
                f'base_mid_channels={base_mid_channels}')
        # the reference stores the ratio with a tiny offset; keep it so the
        # rounding of wide widths matches the reference code
        reduction = base_channels / base_mid_channels + 1e-10
        super().__init__(
            channels,
            _mid_channels(channels, reduction),
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            act_cfg=act_cfg,
            init_cfg=init_cfg)
        self.reduction = reduction

    def mid_channels_for(self, channels: int) -> int:
        """Mid width for an input of ``channels``."""
        return _mid_channels(channels, self.reduction)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = x.size(1)
        self.conv1.conv.active_out_channels = self.mid_channels_for(channels)
        self.conv2.conv.active_out_channels = channels
        return super().forward(x)

    def hidden_tensors(self) -> list:
        """``(tensor, dim)`` of every tensor indexed by the input channels.

        The owning block permutes them together with its hidden channels.
        """
        return [(self.conv1.conv.weight, 1), (self.conv2.conv.weight, 0),
                (self.conv2.conv.bias, 0)]

    @torch.no_grad()
    def sort_mid_channels(self) -> List[tuple]:
        """Sort the mid channels by importance; function-preserving.

        Importance is the L1 norm of the expand-conv weights that read a mid
        channel (the reference's second sort). Not named ``sort_channels``
        so that ``NetAugHook`` does not call it on its own: the owning block
        calls it after sorting its hidden channels.
        """
        importance = self.conv2.conv.weight.abs().sum(dim=(0, 2, 3))
        perm = torch.sort(importance, descending=True, stable=True)[1]
        moved = [(self.conv2.conv.weight, 1), (self.conv1.conv.weight, 0),
                 (self.conv1.conv.bias, 0)]
        for tensor, dim in moved:
            tensor.copy_(tensor.index_select(dim, perm))
        return [(t, d, perm) for t, d in moved if isinstance(t, nn.Parameter)]
