"""YOLOv3 neck with dynamic widths, equal to mmdet's at base width."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmnetaug.registry import MODELS
from mmnetaug.space import WidthChoice, check_factors
from mmnetaug.widths import (check_input, max_width, resolve_in_factors,
                              width_choice)
from ..layers import dynamic_conv_cfg, dynamic_norm_cfg
from ..stock_twin import StockTwinMixin
from .netaug_detection_block import NetAugDetectionBlock


@MODELS.register_module()
class NetAugYOLOV3Neck(StockTwinMixin, BaseModule):
    """mmdet's ``YOLOV3Neck`` as the leading slice of a wider supernet.

    Takes the arguments of ``mmdet.models.YOLOV3Neck`` plus the NetAug ones.
    Every ``DetectionBlock`` gets knobs for its hidden widths (n and 2n) and
    every lateral ``conv{i}`` one for its output. Concatenating the
    upsampled lateral output with a backbone feature yields two channel
    groups; the next block's conv1 reads the active prefix of each, so the
    base network stays the leading slice of every part.

    Args:
        width_factors (Sequence[float]): width multipliers of the neck's
            own layers, 1.0 first.
        augment_outputs (bool): whether the blocks' outputs (conv5) vary in
            width too. The stock ``YOLOV3Head`` needs base-width inputs
            (False); ``NetAugYOLOV3Head`` reads any width (True).
        in_width_factors (Sequence[float], optional): the factors the
            inputs may be widened by (the backbone's ``width_factors`` when
            it augments its outputs; ``(1.0,)`` for fixed inputs). Weights
            reading the inputs are allocated for the widest. Defaults to
            ``width_factors``.
    """
    stock_type = 'YOLOV3Neck'
    netaug_args = ('width_factors', 'augment_outputs', 'in_width_factors')

    def __init__(self,
                 num_scales: int,
                 in_channels: Sequence[int],
                 out_channels: Sequence[int],
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 act_cfg: dict = dict(type='LeakyReLU', negative_slope=0.1),
                 width_factors: Sequence[float] = (1.0, 1.8, 2.6),
                 augment_outputs: bool = False,
                 in_width_factors: Optional[Sequence[float]] = None,
                 init_cfg=None):
        super().__init__(init_cfg)
        if not num_scales == len(in_channels) == len(out_channels):
            raise ValueError(
                f'num_scales={num_scales} must equal len(in_channels)='
                f'{len(in_channels)} and len(out_channels)='
                f'{len(out_channels)}; give one width per scale')
        self.num_scales = num_scales
        self.in_channels = list(in_channels)
        self.out_channels = list(out_channels)
        self.width_factors = check_factors('width_factors', width_factors)
        self.in_width_factors = resolve_in_factors(self.width_factors,
                                                   in_width_factors)
        self.augment_outputs = augment_outputs
        self.max_in_channels = [
            max_width(c, self.in_width_factors) for c in self.in_channels
        ]
        out_factors = self.width_factors if augment_outputs else (1.0, )
        cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)

        self.lateral_choices = []
        prev_out = None
        for i in range(num_scales):
            out_c = self.out_channels[i]
            block_out = width_choice(out_c, out_factors)
            groups = base_groups = None
            in_c = self.max_in_channels[i]
            if i > 0:
                lateral = width_choice(out_c, self.width_factors)
                self.lateral_choices.append(lateral)
                self.add_module(
                    f'conv{i}',
                    ConvModule(
                        prev_out.max,
                        lateral.max,
                        1,
                        conv_cfg=dynamic_conv_cfg(conv_cfg),
                        norm_cfg=dynamic_norm_cfg(norm_cfg),
                        act_cfg=act_cfg))
                # torch.cat((upsampled lateral, input), 1)
                groups = (lateral.max, in_c)
                base_groups = (out_c, self.in_channels[i])
                in_c = sum(groups)
            self.add_module(
                f'detect{i + 1}',
                NetAugDetectionBlock(
                    in_c,
                    width_choice(out_c, self.width_factors),
                    width_choice(2 * out_c, self.width_factors),
                    block_out,
                    in_channel_groups=groups,
                    base_in_groups=base_groups,
                    **cfg))
            prev_out = block_out

    def netaug_choices(self) -> List[WidthChoice]:
        """The lateral knobs; the blocks list their own."""
        return list(self.lateral_choices)

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        if len(feats) != self.num_scales:
            raise ValueError(f'{type(self).__name__} expects {self.num_scales}'
                             f' feature maps, got {len(feats)}')
        # The inputs run from high to low resolution; the neck starts at the
        # lowest one (the last input, in_channels[0]).
        inputs = list(reversed(feats))
        for i, x in enumerate(inputs):
            check_input(type(self).__name__, i, x, self.max_in_channels[i],
                        self.in_width_factors)
        out = self.detect1(inputs[0])
        outs = [out]
        for i in range(1, self.num_scales):
            conv = getattr(self, f'conv{i}')
            conv.conv.active_out_channels = self.lateral_choices[i - 1].value
            up = F.interpolate(conv(out), scale_factor=2)
            detect = getattr(self, f'detect{i + 1}')
            detect.conv1.conv.active_in_groups = (up.size(1),
                                                  inputs[i].size(1))
            out = detect(torch.cat((up, inputs[i]), 1))
            outs.append(out)
        return tuple(outs)
