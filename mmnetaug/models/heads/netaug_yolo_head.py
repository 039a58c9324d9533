"""YOLOv3 head reading features of any width; hidden widths optional."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmdet.models.dense_heads import YOLOV3Head

from mmnetaug.ops import DynamicConv2d
from mmnetaug.registry import MODELS
from mmnetaug.space import WidthChoice, check_factors
from mmnetaug.widths import (check_input, max_width, resolve_in_factors,
                              width_choice)
from ..layers import dynamic_conv_cfg, dynamic_norm_cfg
from ..stock_twin import StockTwinMixin


@MODELS.register_module()
class NetAugYOLOV3Head(StockTwinMixin, YOLOV3Head):
    """mmdet's ``YOLOV3Head`` whose convs are allocated at max width.

    Takes the arguments of ``YOLOV3Head`` plus the NetAug ones; losses,
    targets and post-processing are the stock ones. Each bridge conv reads
    the leading channels of its input (a NetAug neck with
    ``augment_outputs=True`` varies them). With ``augment_head`` its output
    (hidden) width is a knob too. The prediction convs keep their output
    size (anchors x (5 + classes)); only their input is sliced.

    Args:
        width_factors (Sequence[float]): hidden width multipliers (used when
            ``augment_head``), 1.0 first.
        augment_head (bool): whether the bridge convs' widths vary.
        in_width_factors (Sequence[float], optional): the factors the inputs
            may be widened by (the neck's ``width_factors`` when it augments
            its outputs; ``(1.0,)`` for fixed inputs). Defaults to
            ``width_factors``.
    """
    stock_type = 'YOLOV3Head'
    netaug_args = ('width_factors', 'augment_head', 'in_width_factors')

    def __init__(self,
                 *args,
                 width_factors: Sequence[float] = (1.0, 1.8, 2.6),
                 augment_head: bool = False,
                 in_width_factors: Optional[Sequence[float]] = None,
                 **kwargs):
        # _init_layers runs inside YOLOV3Head.__init__ and needs these.
        self.width_factors = check_factors('width_factors', width_factors)
        self.in_width_factors = resolve_in_factors(self.width_factors,
                                                   in_width_factors)
        self.augment_head = augment_head
        super().__init__(*args, **kwargs)

    def _init_layers(self) -> None:
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(self.conv_cfg),
            norm_cfg=(dynamic_norm_cfg(self.norm_cfg)
                      if self.norm_cfg else None),
            act_cfg=self.act_cfg)
        hidden_factors = self.width_factors if self.augment_head else (1.0, )
        self.max_in_channels = [
            max_width(c, self.in_width_factors) for c in self.in_channels
        ]
        self.hidden_choices = [
            width_choice(c, hidden_factors) for c in self.out_channels
        ]
        self.convs_bridge = nn.ModuleList()
        self.convs_pred = nn.ModuleList()
        for in_c, hidden in zip(self.max_in_channels, self.hidden_choices):
            self.convs_bridge.append(
                ConvModule(in_c, hidden.max, 3, padding=1, **cfg))
            self.convs_pred.append(
                DynamicConv2d(hidden.max,
                              self.num_base_priors * self.num_attrib, 1))

    def netaug_choices(self) -> List[WidthChoice]:
        return list(self.hidden_choices)

    def forward(self, x: Tuple[torch.Tensor, ...]) -> tuple:
        if len(x) != self.num_levels:
            raise ValueError(f'{type(self).__name__} expects '
                             f'{self.num_levels} feature maps, got {len(x)}')
        pred_maps = []
        for i, feat in enumerate(x):
            check_input(type(self).__name__, i, feat,
                        self.max_in_channels[i], self.in_width_factors)
            bridge = self.convs_bridge[i]
            bridge.conv.active_out_channels = self.hidden_choices[i].value
            pred_maps.append(self.convs_pred[i](bridge(feat)))
        return tuple(pred_maps),
