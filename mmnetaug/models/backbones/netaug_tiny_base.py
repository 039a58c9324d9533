"""NetAug supernet of a ``TinyNetSpec`` backbone (reference set_active)."""
from typing import List, Optional, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmnetaug.space import WidthChoice, check_factors
from mmnetaug.widths import INTERFACE_RULE, REFERENCE, width_choice
from ..layers import dynamic_conv_cfg, dynamic_norm_cfg
from ..layers.netaug_tiny_inverted_residual import NetAugTinyInvertedResidual
from .netaug_mobilenet_v2 import NETAUG_INIT_CFG
from ..stock_twin import StockTwinMixin
from .tiny_arch import TinyNetSpec
from .tiny_base import TinyBackboneMixin


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

    Rounding (``mmnetaug.widths``): inner knobs round as the reference's
    ``aug_width(base, factors, 1)`` (rule ``'reference'``: round half up,
    e.g. 16 x [1, 1.8, 2.6] -> 16, 29, 42); the knobs of the outputs, which
    a NetAug neck reads when ``augment_outputs``, round with the interface
    rule every neck allocates with.
    """
    stock_type: str = None
    width_rule = REFERENCE
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
                 init_cfg=NETAUG_INIT_CFG):
        super().__init__(init_cfg)
        self._setup(spec, out_indices, frozen_stages, norm_eval)
        self.width_factors = check_factors('width_factors', width_factors)
        self.expand_factors = check_factors('expand_factors', expand_factors)
        self.augment_outputs = augment_outputs
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg))
        last = self.out_indices[-1]
        self.num_train_run = last + 1

        # the entry whose knob each layer outputs: a layer of identity
        # blocks only passes its input's knob on (-1: the stem's)
        self._knob_owner, owner = [], -1
        for i, layer in enumerate(spec.layers):
            if not all(b.with_res_shortcut for b in layer):
                owner = i
            self._knob_owner.append(owner)
        self._knob_owner.append(len(spec.layers))  # conv2 owns its knob

        self.stem_choice = self._knob(spec.stem_channels, -1)
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
                        layer_choice = self._knob(b.out_channels, i)
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
            self.conv2_choice = self._knob(spec.conv2_channels,
                                           len(spec.layers))
            self.conv2 = ConvModule(
                choice.max,
                self.conv2_choice.max,
                1,
                act_cfg=spec.conv2_act,
                **cfg)
            self.stage_choices.append(self.conv2_choice)

    def _knob(self, base: int, owner: int) -> WidthChoice:
        """The width knob created by entry ``owner`` (-1: the stem) and
        output by the entries it serves: fixed if the owner never runs in
        training or it feeds a fixed output, rounded with the interface rule
        if it is an output.
        """
        served = [i for i, o in enumerate(self._knob_owner) if o == owner]
        outputs = set(served) & set(self.out_indices)
        fixed = owner > self.out_indices[-1] or (outputs and
                                                 not self.augment_outputs)
        return width_choice(base, (1.0, ) if fixed else self.width_factors,
                            INTERFACE_RULE if outputs else self.width_rule)

    def out_width_choices(self) -> List[WidthChoice]:
        """The width knob of each output, in output order."""
        return [self.stage_choices[i] for i in self.out_indices]

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
