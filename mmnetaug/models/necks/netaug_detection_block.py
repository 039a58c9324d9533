"""YOLOv3 ``DetectionBlock`` with dynamic widths."""
from typing import List, Optional, Sequence

import torch
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmnetaug.space import WidthChoice
from ..layers import dynamic_conv_cfg, dynamic_norm_cfg


class NetAugDetectionBlock(BaseModule):
    """mmdet's ``DetectionBlock`` (same parameter names) at max width.

    The five convs alternate 1x1 (n) and 3x3 (2n) widths. The n-wide convs
    (conv1, conv3) share one knob and the 2n-wide convs (conv2, conv4)
    another: nothing ties them in the stock block, but two knobs per block
    keep the space as coarse as the backbone's one knob per stage. conv5 is
    the block's output and follows ``out_choice`` (fixed at base unless the
    neck augments its outputs).

    Args:
        in_channels (int): maximum input width.
        mid_choice (WidthChoice): width of conv1 and conv3 (n).
        wide_choice (WidthChoice): width of conv2 and conv4 (2n).
        out_choice (WidthChoice): width of conv5, the block's output.
        in_channel_groups (Sequence[int], optional): maximum widths of the
            parts of a concatenated input; the owner then sets
            ``conv1.conv.active_in_groups`` before each forward.
        base_in_groups (Sequence[int], optional): the parts' base widths,
            with which a stock checkpoint's conv1 is laid out.
    """

    def __init__(self,
                 in_channels: int,
                 mid_choice: WidthChoice,
                 wide_choice: WidthChoice,
                 out_choice: WidthChoice,
                 in_channel_groups: Optional[Sequence[int]] = None,
                 base_in_groups: Optional[Sequence[int]] = None,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 act_cfg: dict = dict(type='LeakyReLU', negative_slope=0.1),
                 init_cfg=None):
        super().__init__(init_cfg)
        self.mid_choice = mid_choice
        self.wide_choice = wide_choice
        self.out_choice = out_choice
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg),
            act_cfg=act_cfg)
        mid, wide = mid_choice.max, wide_choice.max
        self.conv1 = ConvModule(in_channels, mid, 1, **cfg)
        self.conv2 = ConvModule(mid, wide, 3, padding=1, **cfg)
        self.conv3 = ConvModule(wide, mid, 1, **cfg)
        self.conv4 = ConvModule(mid, wide, 3, padding=1, **cfg)
        self.conv5 = ConvModule(wide, out_choice.max, 1, **cfg)
        if in_channel_groups is not None:
            self.conv1.conv.set_in_channel_groups(in_channel_groups)
            if base_in_groups is None or len(base_in_groups) != len(
                    in_channel_groups):
                raise ValueError('base_in_groups must give the base width '
                                 'of each part of in_channel_groups')
        self.base_in_groups = (
            tuple(base_in_groups) if in_channel_groups is not None else None)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Spread a stock conv1 weight over the parts of the concatenation.

        A stock checkpoint holds conv1 at base widths, its input columns the
        base parts back to back; the generic leading-slice loading would put
        them all in the first part. Here each part's columns go to the
        leading channels of their group; the rest keep their init.
        """
        key = prefix + 'conv1.conv.weight'
        src = state_dict.get(key)
        conv = self.conv1.conv
        if (self.base_in_groups is not None and isinstance(src, torch.Tensor)
                and src.dim() == 4
                and src.size(1) == sum(self.base_in_groups)
                and src.size(1) != conv.in_channels
                and src.size(0) <= conv.out_channels):
            weight = conv.weight.detach().clone()
            src_start = dst_start = 0
            for base, size in zip(self.base_in_groups,
                                  conv.in_channel_groups):
                weight[:src.size(0), dst_start:dst_start + base] = \
                    src[:, src_start:src_start + base]
                src_start += base
                dst_start += size
            state_dict[key] = weight
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def netaug_choices(self) -> List[WidthChoice]:
        return [self.mid_choice, self.wide_choice, self.out_choice]

    def _set_widths(self):
        mid, wide = self.mid_choice.value, self.wide_choice.value
        for name, width in (('conv1', mid), ('conv2', wide), ('conv3', mid),
                            ('conv4', wide),
                            ('conv5', self.out_choice.value)):
            getattr(self, name).conv.active_out_channels = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._set_widths()
        for name in ('conv1', 'conv2', 'conv3', 'conv4', 'conv5'):
            x = getattr(self, name)(x)
        return x
