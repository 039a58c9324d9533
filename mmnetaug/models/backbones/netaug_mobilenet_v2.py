"""MobileNetV2 supernet for NetAug, equal to mmdet's at base width."""
import math
from typing import List

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmdet.models.backbones import MobileNetV2
from mmdet.models.utils import make_divisible
from mmengine.model import BaseModule

from mmnetaug.registry import MODELS
from mmnetaug.space import WidthChoice, check_factors
from mmnetaug.widths import MMDET, width_choice
from ..layers import (NetAugInvertedResidual, dynamic_conv_cfg,
                      dynamic_norm_cfg)
from .staged_backbone import StagedBackboneMixin
from ..stock_twin import StockTwinMixin

# The reference init (kaiming-uniform, a=sqrt(5)) for the whole supernet.
NETAUG_INIT_CFG = [
    dict(
        type='Kaiming',
        layer='Conv2d',
        a=math.sqrt(5),
        mode='fan_in',
        nonlinearity='leaky_relu',
        distribution='uniform'),
    dict(type='Constant', val=1, layer=['_BatchNorm'])
]


@MODELS.register_module()
class NetAugMobileNetV2(StockTwinMixin, StagedBackboneMixin, BaseModule):
    """mmdet's ``MobileNetV2`` as the leading slice of a wider supernet.

    Takes the arguments of ``mmdet.models.MobileNetV2`` plus the NetAug
    factor lists. Each stage gets one width knob (blocks with identity
    shortcuts share their input's knob), the stem and the final 1x1 conv get
    one each, and every expanding block an expand-factor knob. A freshly
    built model is at base width, where its parameter names, sliced shapes
    and outputs are those of the stock backbone.

    Args:
        width_factors (Sequence[float]): output width multipliers, 1.0 first.
        expand_factors (Sequence[float]): hidden width multipliers of the
            inverted residual blocks, 1.0 first.
        augment_outputs (bool): whether the stages in ``out_indices`` vary
            their width too. A stock neck needs base-width inputs (False);
            a NetAug neck reads any width (True).

    Widths are rounded as mmdet rounds them (``mmnetaug.widths``, rule
    ``'mmdet'``, also the rule of the outputs a neck reads).
    """
    stock_type = 'MobileNetV2'
    width_rule = MMDET
    eval_frozen_conv1 = False  # as mmdet's MobileNetV2
    netaug_args = ('width_factors', 'expand_factors', 'augment_outputs')
    arch_settings = MobileNetV2.arch_settings

    def __init__(self,
                 widen_factor=1.,
                 out_indices=(1, 2, 4, 7),
                 frozen_stages=-1,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU6'),
                 norm_eval=False,
                 with_cp=False,
                 width_factors=(1.0, 1.8, 2.6),
                 expand_factors=(1.0, 1.6, 2.2, 2.8),
                 augment_outputs=False,
                 pretrained=None,
                 init_cfg=NETAUG_INIT_CFG):
        if pretrained is not None:
            if not isinstance(pretrained, str):
                raise TypeError('pretrained must be a str or None')
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        super().__init__(init_cfg)
        if not widen_factor > 0:
            raise ValueError(f'widen_factor must be > 0, got {widen_factor}; '
                             'e.g. widen_factor=0.35 for the tiny regime')
        if not set(out_indices).issubset(range(0, 8)) or not out_indices:
            raise ValueError(
                f'out_indices={tuple(out_indices)} must be a non-empty subset '
                'of range(0, 8) (layer1..layer7 -> 0..6, conv2 -> 7)')
        if frozen_stages not in range(-1, 8):
            raise ValueError(f'frozen_stages must be in range(-1, 8), got '
                             f'{frozen_stages}')
        self.width_factors = check_factors('width_factors', width_factors)
        self.expand_factors = check_factors('expand_factors', expand_factors)
        self.widen_factor = widen_factor
        self.augment_outputs = augment_outputs
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.act_cfg = act_cfg
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg))
        self.block_cfg = dict(
            conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg,
            with_cp=with_cp)

        self.stem_choice = width_choice(
            make_divisible(32 * widen_factor, 8), self.width_factors,
            self.width_rule)
        self.conv1 = ConvModule(
            3, self.stem_choice.max, 3, stride=2, padding=1, act_cfg=act_cfg,
            **cfg)

        self.layers = []
        self.stage_choices = []
        choice = self.stem_choice
        for i, (expand_ratio, channel, num_blocks,
                stride) in enumerate(self.arch_settings):
            out_channels = make_divisible(channel * widen_factor, 8)
            layer, choice = self.make_layer(choice, out_channels, num_blocks,
                                            stride, expand_ratio,
                                            self._factors_of(i))
            self.stage_choices.append(choice)
            self.add_module(f'layer{i + 1}', layer)
            self.layers.append(f'layer{i + 1}')

        self.out_channel = (
            int(1280 * widen_factor) if widen_factor > 1.0 else 1280)
        self.conv2_choice = width_choice(self.out_channel,
                                         self._factors_of(7), self.width_rule)
        self.conv2 = ConvModule(
            choice.max, self.conv2_choice.max, 1, act_cfg=act_cfg, **cfg)
        self.layers.append('conv2')
        # Stages after the last output cannot change the outputs; training
        # skips them (they get no gradient). Eval runs them as mmdet does,
        # so export sees every layer.
        self.num_train_run = max(self.out_indices) + 1

    def _factors_of(self, index):
        """Width factors of stage ``index``: fixed if it feeds a stock neck."""
        if index in self.out_indices and not self.augment_outputs:
            return (1.0, )
        return self.width_factors

    def make_layer(self, in_choice, out_channels, num_blocks, stride,
                   expand_ratio, width_factors):
        blocks = []
        stage_choice = None
        for i in range(num_blocks):
            stride = stride if i == 0 else 1
            shortcut = stride == 1 and in_choice.base == out_channels
            if shortcut:
                out_choice = in_choice
            else:
                if stage_choice is None:
                    stage_choice = width_choice(out_channels, width_factors,
                                                self.width_rule)
                out_choice = stage_choice
            blocks.append(
                NetAugInvertedResidual(
                    in_choice.max,
                    out_choice,
                    expand_ratio,
                    expand_factors=self.expand_factors,
                    stride=stride,
                    with_res_shortcut=shortcut,
                    **self.block_cfg))
            in_choice = out_choice
        return nn.Sequential(*blocks), in_choice

    def out_width_choices(self) -> List[WidthChoice]:
        """The width knob of each output, in output order."""
        entries = self.stage_choices + [self.conv2_choice]
        return [entries[i] for i in self.out_indices]

    def netaug_choices(self) -> List[WidthChoice]:
        """Knobs owned here; blocks list their own (stage widths, expand)."""
        knobs = [self.stem_choice]
        if self.num_train_run == len(self.layers):
            knobs.append(self.conv2_choice)
        return knobs

    def forward(self, x):
        self.conv1.conv.active_out_channels = self.stem_choice.value
        self.conv2.conv.active_out_channels = self.conv2_choice.value
        num_run = self.num_train_run if self.training else len(self.layers)
        return self._forward_stages(x, num_run)
