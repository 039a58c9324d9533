"""RTMDet's head (shared convs, a BN per level) reading features of any
width; hidden widths optional."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmdet.models.dense_heads import RTMDetSepBNHead

from mmnetaug.ops import DynamicConv2d
from mmnetaug.registry import MODELS
from mmnetaug.space import WidthChoice, check_factors
from mmnetaug.widths import (check_input, max_width, resolve_in_factors,
                              width_choice)
from ..layers import dynamic_conv_cfg, dynamic_norm_cfg
from ..layers.grouped_input import output_conv
from ..stock_twin import StockTwinMixin


@MODELS.register_module()
class NetAugRTMDetSepBNHead(StockTwinMixin, RTMDetSepBNHead):
    """mmdet's ``RTMDetSepBNHead`` whose convs are allocated at max width.

    Takes the arguments of ``RTMDetSepBNHead`` plus the NetAug ones;
    losses, assignment and post-processing are the stock ones. As in
    mmdet, each level has its own ``ConvModule`` (so its own BN) and, with
    ``share_conv``, the levels share the conv inside it: the shared conv
    runs at one width and every level normalises it with its own BN's
    leading slice, at every width. The first stacked convs read the
    leading channels of their input (a NetAug neck with
    ``augment_outputs=True`` varies them); with ``augment_head`` the
    stacked convs' width is a knob per branch and depth, shared by the
    levels. Prediction convs keep their output size; only their input is
    sliced.

    Args:
        width_factors (Sequence[float]): hidden width multipliers (used
            when ``augment_head``), 1.0 first.
        augment_head (bool): whether the stacked convs' widths vary.
        in_width_factors (Sequence[float], optional): the factors the
            inputs may be widened by (the neck's ``width_factors`` when it
            augments its outputs; ``(1.0,)`` for fixed inputs). Defaults to
            ``width_factors``.

    A shared conv reading levels of different widths (a neck augmenting
    each output on its own) runs in the supernet; its static twin exists
    only at equal widths, as in the stock head (the base network).
    """
    stock_type = 'RTMDetSepBNHead'
    netaug_args = ('width_factors', 'augment_head', 'in_width_factors')

    def __init__(self,
                 *args,
                 width_factors: Sequence[float] = (1.0, 1.8, 2.6),
                 augment_head: bool = False,
                 in_width_factors: Optional[Sequence[float]] = None,
                 **kwargs):
        # _init_layers runs inside the stock __init__ and needs these
        self.width_factors = check_factors('width_factors', width_factors)
        self.in_width_factors = resolve_in_factors(self.width_factors,
                                                   in_width_factors)
        self.augment_head = augment_head
        super().__init__(*args, **kwargs)

    def _init_layers(self) -> None:
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(self.conv_cfg),
            norm_cfg=dynamic_norm_cfg(self.norm_cfg),
            act_cfg=self.act_cfg)
        conv = DepthwiseSeparableConvModule \
            if self.use_depthwise else ConvModule
        hidden_factors = self.width_factors if self.augment_head else (1.0, )
        self.max_in_channels = max_width(self.in_channels,
                                         self.in_width_factors)
        self.cls_choices = [
            width_choice(self.feat_channels, hidden_factors)
            for _ in range(self.stacked_convs)
        ]
        self.reg_choices = [
            width_choice(self.feat_channels, hidden_factors)
            for _ in range(self.stacked_convs)
        ]
        cls_max = (self.cls_choices[-1].max
                   if self.stacked_convs else self.max_in_channels)
        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        self.rtm_cls = nn.ModuleList()
        self.rtm_reg = nn.ModuleList()
        if self.with_objectness:
            self.rtm_obj = nn.ModuleList()
        pad = self.pred_kernel_size // 2
        for _ in self.prior_generator.strides:
            cls_convs, reg_convs = nn.ModuleList(), nn.ModuleList()
            for i in range(self.stacked_convs):
                chn = (self.max_in_channels
                       if i == 0 else self.cls_choices[i - 1].max)
                cls_convs.append(
                    conv(chn, self.cls_choices[i].max, 3, stride=1,
                         padding=1, **cfg))
                chn = (self.max_in_channels
                       if i == 0 else self.reg_choices[i - 1].max)
                reg_convs.append(
                    conv(chn, self.reg_choices[i].max, 3, stride=1,
                         padding=1, **cfg))
            self.cls_convs.append(cls_convs)
            self.reg_convs.append(reg_convs)
            reg_max = (self.reg_choices[-1].max
                       if self.stacked_convs else self.max_in_channels)
            self.rtm_cls.append(
                DynamicConv2d(cls_max,
                              self.num_base_priors * self.cls_out_channels,
                              self.pred_kernel_size, padding=pad))
            self.rtm_reg.append(
                DynamicConv2d(reg_max, self.num_base_priors * 4,
                              self.pred_kernel_size, padding=pad))
            if self.with_objectness:
                self.rtm_obj.append(
                    DynamicConv2d(reg_max, 1, self.pred_kernel_size,
                                  padding=pad))
        if self.share_conv:  # as mmdet: the conv is shared, not the BN
            for n in range(len(self.prior_generator.strides)):
                for i in range(self.stacked_convs):
                    self.cls_convs[n][i].conv = self.cls_convs[0][i].conv
                    self.reg_convs[n][i].conv = self.reg_convs[0][i].conv

    def netaug_choices(self) -> List[WidthChoice]:
        return list(self.cls_choices) + list(self.reg_choices)

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> tuple:
        levels = len(self.prior_generator.strides)
        if len(feats) != levels:
            raise ValueError(f'{type(self).__name__} expects {levels} '
                             f'feature maps, got {len(feats)}')
        for i, feat in enumerate(feats):
            check_input(type(self).__name__, i, feat, self.max_in_channels,
                        self.in_width_factors)
        for convs, choices in ((self.cls_convs, self.cls_choices),
                               (self.reg_convs, self.reg_choices)):
            for level in convs:
                for conv_module, choice in zip(level, choices):
                    output_conv(conv_module).active_out_channels = \
                        choice.value
        return super().forward(feats)
