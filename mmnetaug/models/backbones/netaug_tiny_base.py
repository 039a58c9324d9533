"""NetAug supernet of a ``TinyNetSpec`` backbone (reference set_active)."""
from typing import List, Optional, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmnetaug.space import WIDTH, WidthChoice, check_factors
from ..layers import dynamic_conv_cfg, dynamic_norm_cfg
from ..layers.netaug_tiny_inverted_residual import (NetAugTinyInvertedResidual,
                                                    reference_round)
from .netaug_mobilenet_v2 import NETAUG_INIT_CFG
from ..stock_twin import StockTwinMixin
from .tiny_arch import TinyNetSpec
from .tiny_base import TinyBackboneMixin


def reference_widths(base: int, factors: Sequence[float]) -> tuple:
    """Choices of a width knob, rounded as the reference rounds them.

    The reference's ``aug_width(base, factors, 1)``: round half up, no
    multiple-of-8 rounding (e.g. 16 x [1, 1.8, 2.6] -> 16, 29, 42).
    """
    return tuple(sorted({reference_round(base * f) for f in factors}))


class NetAugTinyNetBackbone(StockTwinMixin, TinyBackboneMixin, BaseModule):
    """The static ``TinyNetBackbone`` as the leading slice of a supernet.

    Knobs follow the reference ``set_active``: the stem conv, each layer
    (its first block has no shortcut and draws the width; blocks with an
    identity shortcut keep it), the final 1x1 conv, and one expand factor
    per block with an expand conv. A fresh model is at base width, where
    parameter names, sliced shapes and outputs equal the static twin's.

    Args:
        width_factors (Sequence[float]): output width multipliers, 1.0 first.
        expand_factors (Sequence[float]): hidden width multipliers, 1.0
            first.
        augment_outputs (bool): whether the layers in ``out_indices`` vary
            their width too. A stock neck needs base-width inputs (False).

    Layers after the last output never run in training, so they get no
    knobs (base width only); eval still runs them so export sees them.
    """
    stock_type: str = None
    netaug_args = ('width_factors', 'expand_factors', 'augment_outputs')

    def __init__(self,
                 spec: TinyNetSpec,
                 out_indices: Sequence[int] = (2, 4, 6),
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 width_factors: Sequence[float] = (1.0, 1.8, 2.6),
                 expand_factors: Sequence[float] = (1.0, 1.6, 2.2, 2.8),
                 augment_outputs: bool = False,
                 reference_checkpoint: Optional[str] = None,
                 init_cfg=NETAUG_INIT_CFG):
        super().__init__(init_cfg)
        self._setup(spec, out_indices, frozen_stages, norm_eval,
                    reference_checkpoint)
        self.width_factors = check_factors('width_factors', width_factors)
        self.expand_factors = check_factors('expand_factors', expand_factors)
        self.augment_outputs = augment_outputs
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg))
        last = self.out_indices[-1]
        self.num_train_run = last + 1

        stem_factors = self.width_factors
        if spec.layers[0][0].with_res_shortcut and self._factors_of(0) == (
                1.0, ):
            stem_factors = (1.0, )  # layer1 keeps the stem's width
        self.stem_choice = WidthChoice(
            reference_widths(spec.stem_channels, stem_factors), WIDTH)
        self.conv1 = ConvModule(
            3,
            self.stem_choice.max,
            3,
            stride=2,
            padding=1,
            act_cfg=spec.stem_act,
            **cfg)

        self.stage_choices = []
        choice = self.stem_choice
        for i, layer in enumerate(spec.layers):
            expand = self.expand_factors if i <= last else (1.0, )
            blocks, layer_choice = [], None
            for b in layer:
                if b.with_res_shortcut:
                    out_choice = choice
                else:
                    if layer_choice is None:
                        layer_choice = WidthChoice(
                            reference_widths(b.out_channels,
                                             self._factors_of(i)), WIDTH)
                    out_choice = layer_choice
                blocks.append(
                    NetAugTinyInvertedResidual(
                        choice.max,
                        out_choice,
                        b.in_channels,
                        b.mid_channels,
                        expand_factors=expand,
                        kernel_size=b.kernel_size,
                        stride=b.stride,
                        with_expand_conv=b.with_expand_conv,
                        with_res_shortcut=b.with_res_shortcut,
                        se_channels=b.se_channels,
                        conv_cfg=conv_cfg,
                        norm_cfg=norm_cfg,
                        act_cfg=b.act_cfg,
                        with_cp=with_cp))
                choice = out_choice
            self.stage_choices.append(choice)
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))

        self.conv2_choice = None
        if spec.conv2_channels:
            self.conv2_choice = WidthChoice(
                reference_widths(spec.conv2_channels,
                                 self._factors_of(len(spec.layers))), WIDTH)
            self.conv2 = ConvModule(
                choice.max,
                self.conv2_choice.max,
                1,
                act_cfg=spec.conv2_act,
                **cfg)
            self.stage_choices.append(self.conv2_choice)

    def _factors_of(self, index: int) -> tuple:
        """Width factors of entry ``index``: fixed when nothing samples it."""
        if index > self.out_indices[-1]:
            return (1.0, )
        if index in self.out_indices and not self.augment_outputs:
            return (1.0, )
        return self.width_factors

    def netaug_choices(self) -> List[WidthChoice]:
        """Knobs owned here; blocks list their own (layer widths, expand)."""
        return [self.stem_choice
                ] + ([self.conv2_choice] if self.conv2_choice else [])

    def forward(self, x):
        self.conv1.conv.active_out_channels = self.stem_choice.value
        if self.conv2_choice is not None:
            self.conv2.conv.active_out_channels = self.conv2_choice.value
        num_run = self.num_train_run if self.training else len(self.layers)
        return self._forward_stages(x, num_run)
