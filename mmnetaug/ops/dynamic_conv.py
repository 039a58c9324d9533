"""Weight-sharing convolution: allocated at maximum width, runs on a prefix."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmnetaug.registry import MODELS
from .leading_slice import LeadingSliceLoadMixin


@MODELS.register_module()
class DynamicConv2d(LeadingSliceLoadMixin, nn.Conv2d):
    """``nn.Conv2d`` whose active widths are a leading slice of its weight.

    The active input width is read from the incoming tensor. The active output
    width (``active_out_channels``) is set by the module that owns the layer;
    a depthwise conv follows its input instead. Slicing returns views, so the
    forward pass copies no weights.

    When the input is a concatenation of several tensors that each vary in
    width (YOLOv3 neck), ``in_channel_groups`` gives the maximum width of each
    part and the owner sets ``active_in_groups``; the conv then reads the
    leading channels of each part, not of the whole. ``out_channel_groups``
    and ``active_out_groups`` do the same for the output, for a conv whose
    output is multiplied back onto such a concatenation (RTMDet's channel
    attention); ``active_out_channels`` is then ignored.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.groups != 1 and not self.is_depthwise:
            raise ValueError(
                'DynamicConv2d supports groups=1 or depthwise convs '
                f'(groups == in_channels == out_channels), got groups='
                f'{self.groups} with in_channels={self.in_channels}, '
                f'out_channels={self.out_channels}')
        self.active_out_channels = self.out_channels
        self.active_in_channels: Optional[int] = None
        self.in_channel_groups: Optional[Tuple[int, ...]] = None
        self.active_in_groups: Optional[Tuple[int, ...]] = None
        self.out_channel_groups: Optional[Tuple[int, ...]] = None
        self.active_out_groups: Optional[Tuple[int, ...]] = None
        self._index_cache = {}

    @property
    def is_depthwise(self) -> bool:
        return (self.groups > 1 and self.groups == self.in_channels
                == self.out_channels)

    def init_weights(self):
        """Reference NetAug init (kaiming-uniform, a=sqrt(5)).

        Its presence also stops mmcv's ``ConvModule`` from re-initialising
        the whole supernet with a fan-out normal init.
        """
        self.reset_parameters()
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def set_in_channel_groups(self, groups: Sequence[int]):
        if sum(groups) != self.in_channels:
            raise ValueError(
                f'in_channel_groups {tuple(groups)} must sum to in_channels '
                f'{self.in_channels}')
        self.in_channel_groups = tuple(int(g) for g in groups)
        self._index_cache.clear()

    def set_out_channel_groups(self, groups: Sequence[int]):
        if sum(groups) != self.out_channels or self.is_depthwise:
            raise ValueError(
                f'out_channel_groups {tuple(groups)} must sum to '
                f'out_channels {self.out_channels} of a non-depthwise conv')
        self.out_channel_groups = tuple(int(g) for g in groups)
        self._index_cache.clear()

    def _group_index(self, side: str, groups: Tuple[int, ...],
                     active: Optional[Tuple[int, ...]],
                     width: Optional[int]) -> torch.Tensor:
        """Indices of the leading ``active`` channels of each group."""
        if active is None or (width is not None and sum(active) != width):
            got = f'{active}' if width is None else (
                f'{active} for an input of {width} channels')
            raise RuntimeError(
                f'{type(self).__name__} has {side}put channel groups '
                f'{groups} (a concatenation); its owner must set '
                f'active_{side}_groups to the widths of the parts (got '
                f'{got})')
        key = (side, active)
        index = self._index_cache.get(key)
        if index is None or index.device != self.weight.device:
            parts, start = [], 0
            for size, part in zip(groups, active):
                parts.append(torch.arange(start, start + part))
                start += size
            index = torch.cat(parts).to(self.weight.device)
            self._index_cache[key] = index
        return index

    def _input_index(self, in_channels: int) -> Optional[torch.Tensor]:
        """Indices of the active input channels; None when they are a prefix."""
        if self.in_channel_groups is None:
            return None
        return self._group_index('in', self.in_channel_groups,
                                 self.active_in_groups, in_channels)

    def active_weight(self, in_channels: int):
        if self.is_depthwise:
            return self.weight[:in_channels], (
                None if self.bias is None else self.bias[:in_channels])
        if self.out_channel_groups is None:
            weight = self.weight[:self.active_out_channels]
            bias = (None if self.bias is None else
                    self.bias[:self.active_out_channels])
        else:
            rows = self._group_index('out', self.out_channel_groups,
                                     self.active_out_groups, None)
            weight = self.weight.index_select(0, rows)
            bias = (None if self.bias is None else
                    self.bias.index_select(0, rows))
        index = self._input_index(in_channels)
        if index is not None:
            weight = weight.index_select(1, index)
        elif in_channels != self.in_channels:
            weight = weight[:, :in_channels]
        return weight, bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        in_channels = x.size(1)
        self.active_in_channels = in_channels
        weight, bias = self.active_weight(in_channels)
        if not self.is_depthwise:
            return self._conv_forward(x, weight, bias)
        return nn.functional.conv2d(x, weight, bias, self.stride,
                                    self.padding, self.dilation, in_channels)

    def to_static(self) -> nn.Conv2d:
        """A plain ``nn.Conv2d`` holding the widths of the last forward."""
        if self.active_in_channels is None:
            raise RuntimeError('run a forward pass at the widths to export '
                               'before calling to_static()')
        in_channels = self.active_in_channels
        weight, bias = self.active_weight(in_channels)
        out_channels = weight.size(0)
        conv = nn.Conv2d(
            in_channels,
            out_channels,
            self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=in_channels if self.is_depthwise else 1,
            bias=bias is not None,
            padding_mode=self.padding_mode).to(self.weight)
        with torch.no_grad():
            conv.weight.copy_(weight)
            if bias is not None:
                conv.bias.copy_(bias)
        return conv
