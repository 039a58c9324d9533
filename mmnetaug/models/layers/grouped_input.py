"""Convs that read a concatenation: where a stock weight's columns go.

After ``torch.cat`` of parts that each vary in width, the active input of
the next conv is the leading slice of every part, not a prefix of the
whole (``DynamicConv2d.in_channel_groups``). A stock checkpoint holds that
conv at base widths, its input columns the base parts back to back; the
generic leading-slice loading would put them all into the first part. The
owner of such a conv calls ``spread_stock_columns`` from its
``_load_from_state_dict`` (which runs before its children's) so each
part's columns land in the leading channels of their group.
"""
from typing import Sequence

import torch.nn as nn
from mmcv.cnn import DepthwiseSeparableConvModule


def spread_stock_columns(state_dict: dict, key: str, conv: nn.Module,
                         base_groups: Sequence[int]) -> None:
    """Replace ``state_dict[key]`` (a base-width conv weight) by the
    supernet-shaped weight holding it group by group; the rest of the
    tensor keeps the conv's current values. Anything else is left alone."""
    src = state_dict.get(key)
    groups = conv.in_channel_groups
    if (groups is None or getattr(src, 'dim', None) is None or src.dim() != 4
            or src.size(1) != sum(base_groups)
            or src.size(1) == conv.in_channels
            or src.size(0) > conv.out_channels):
        return
    weight = conv.weight.detach().clone()
    src_start = dst_start = 0
    for base, size in zip(base_groups, groups):
        weight[:src.size(0), dst_start:dst_start + base] = \
            src[:, src_start:src_start + base]
        src_start += base
        dst_start += size
    state_dict[key] = weight


def output_conv(module: nn.Module) -> nn.Module:
    """The dynamic conv whose output width is that of ``module`` (a
    ``ConvModule`` or a ``DepthwiseSeparableConvModule``, whose depthwise
    part follows its input)."""
    if isinstance(module, DepthwiseSeparableConvModule):
        return module.pointwise_conv.conv
    return module.conv

