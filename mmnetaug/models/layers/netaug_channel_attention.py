"""mmdet's ``ChannelAttention`` (RTMDet's CSP layers) on a grouped input."""
from typing import Optional, Sequence, Tuple

import torch
from mmdet.models.layers.se_layer import ChannelAttention

from mmnetaug.ops import DynamicConv2d


def _leading_of_groups(base: Sequence[int],
                       groups: Sequence[int]) -> torch.Tensor:
    """Where the base parts, back to back in a stock tensor, lie in the
    supernet: the leading ``base[i]`` channels of each group ``i``."""
    parts, start = [], 0
    for width, size in zip(base, groups):
        parts.append(torch.arange(start, start + width))
        start += size
    return torch.cat(parts)


class NetAugChannelAttention(ChannelAttention):
    """The stock module allocated at max width over a concatenation.

    A CSP layer applies it to ``cat((main, short))``: two parts that each
    vary in width. The 1x1 ``fc`` reads the active leading channels of each
    part and, since its output scales the input channel by channel, writes
    exactly those channels too (``DynamicConv2d`` input and output
    groups). So the base attention is the leading slice of every part, in
    both dimensions. The owner sets ``active_groups`` before each forward.

    Args:
        channel_groups (Sequence[int]): maximum widths of the parts.
        base_groups (Sequence[int]): their base widths, the layout of a
            stock checkpoint's ``fc``.
    """

    def __init__(self,
                 channel_groups: Sequence[int],
                 base_groups: Sequence[int],
                 init_cfg=None):
        if len(base_groups) != len(channel_groups):
            raise ValueError('base_groups must give the base width of each '
                             'part of channel_groups')
        channels = sum(channel_groups)
        super().__init__(channels, init_cfg)
        self.fc = DynamicConv2d(channels, channels, 1, 1, 0, bias=True)
        self.fc.set_in_channel_groups(channel_groups)
        self.fc.set_out_channel_groups(channel_groups)
        self.base_groups = tuple(int(b) for b in base_groups)
        self.active_groups: Optional[Tuple[int, ...]] = None

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """A stock (base-width) ``fc`` goes into the leading channels of
        each part, rows and columns; the rest keeps its values."""
        index = _leading_of_groups(self.base_groups,
                                   self.fc.in_channel_groups)
        for name in ('weight', 'bias'):
            key = f'{prefix}fc.{name}'
            src, own = state_dict.get(key), getattr(self.fc, name)
            if (not isinstance(src, torch.Tensor) or src.dim() != own.dim()
                    or src.size(0) != len(index) or src.shape == own.shape):
                continue
            spread = own.detach().clone()
            if name == 'weight':
                spread[index[:, None], index[None, :]] = src
            else:
                spread[index] = src
            state_dict[key] = spread
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.fc.active_in_groups = self.active_groups
        self.fc.active_out_groups = self.active_groups
        return super().forward(x)
