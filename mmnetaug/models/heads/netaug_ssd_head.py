"""SSD/SSDLite head reading features of any width."""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmdet.models.dense_heads import SSDHead

from mmnetaug.ops import DynamicConv2d
from mmnetaug.registry import MODELS
from mmnetaug.space import check_factors
from mmnetaug.widths import check_input, max_width
from ..layers import dynamic_conv_cfg, dynamic_norm_cfg
from ..stock_twin import StockTwinMixin


@MODELS.register_module()
class NetAugSSDHead(StockTwinMixin, SSDHead):
    """mmdet's ``SSDHead`` whose convs read the leading input channels.

    Takes the arguments of ``SSDHead`` plus ``in_width_factors``; losses,
    anchors and post-processing are the stock ones. It has no knobs of its
    own: its inputs vary when the backbone and ``NetAugSSDNeck`` augment
    their outputs. The SSDLite depthwise convs follow the input width; the
    prediction convs keep their output size (anchors x classes, anchors x 4)
    and slice their input.

    Args:
        in_width_factors (Sequence[float]): the factors the inputs may be
            widened by (the backbone's and neck's ``width_factors``).
    """
    stock_type = 'SSDHead'
    netaug_args = ('in_width_factors', )

    def __init__(self,
                 *args,
                 in_width_factors: Sequence[float] = (1.0, 1.8, 2.6),
                 **kwargs):
        # _init_layers runs inside SSDHead.__init__ and needs this.
        self.in_width_factors = check_factors('in_width_factors',
                                              in_width_factors)
        super().__init__(*args, **kwargs)

    def _init_layers(self) -> None:
        if self.stacked_convs != 0:
            raise ValueError(
                f'NetAugSSDHead supports stacked_convs=0 (SSD, SSDLite), '
                f'got stacked_convs={self.stacked_convs}; use the stock '
                'SSDHead for a conv tower')
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(self.conv_cfg),
            norm_cfg=(dynamic_norm_cfg(self.norm_cfg)
                      if self.norm_cfg else None),
            act_cfg=self.act_cfg)
        kernel, padding = (1, 0) if self.use_depthwise else (3, 1)
        self.max_in_channels = [
            max_width(c, self.in_width_factors) for c in self.in_channels
        ]
        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        for in_c, priors in zip(self.max_in_channels, self.num_base_priors):
            for convs, out_c in ((self.cls_convs,
                                  priors * self.cls_out_channels),
                                 (self.reg_convs, priors * 4)):
                layers = []
                if self.use_depthwise:
                    layers.append(
                        ConvModule(in_c, in_c, 3, padding=1, groups=in_c,
                                   **cfg))
                layers.append(
                    DynamicConv2d(in_c, out_c, kernel, padding=padding))
                convs.append(nn.Sequential(*layers))

    def forward(self, x: Tuple[torch.Tensor]
                ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        if len(x) != len(self.in_channels):
            raise ValueError(f'{type(self).__name__} expects '
                             f'{len(self.in_channels)} feature maps, got '
                             f'{len(x)}')
        for i, feat in enumerate(x):
            check_input(type(self).__name__, i, feat,
                        self.max_in_channels[i], self.in_width_factors)
        return super().forward(x)
