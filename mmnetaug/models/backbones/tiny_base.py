"""Static detection backbone built from a ``TinyNetSpec``."""
from typing import Optional, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from ..layers.tiny_inverted_residual import TinyInvertedResidual
from .staged_backbone import StagedBackboneMixin
from .tiny_arch import TinyNetSpec

STATIC_INIT_CFG = [
    dict(type='Kaiming', layer='Conv2d'),
    dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
]


class TinyBackboneMixin(StagedBackboneMixin):
    """What the static and NetAug tiny backbones share.

    ``out_indices`` index ``spec.layer_names`` (``layer1``.. then ``conv2``
    where the model has one), as in mmdet's MobileNetV2. ``frozen_stages``
    = k freezes ``conv1`` and the first k entries. ImageNet checkpoints of
    the reference code load through mmengine's ``init_cfg=dict(type=
    'Pretrained', prefix='backbone.')`` once converted by
    ``tools/model_converters/netaug_reference_to_mmnetaug.py``.
    """

    def _setup(self, spec: TinyNetSpec, out_indices: Sequence[int],
               frozen_stages: int, norm_eval: bool) -> None:
        num = len(spec.layer_names)
        out_indices = tuple(out_indices)
        if not out_indices or not set(out_indices).issubset(range(num)) \
                or list(out_indices) != sorted(set(out_indices)):
            names = ', '.join(f'{i}: {n}'
                              for i, n in enumerate(spec.layer_names))
            raise ValueError(
                f'out_indices={out_indices} must be a non-empty, ascending '
                f'subset of range(0, {num}) for {type(self).__name__} '
                f'({names})')
        if frozen_stages not in range(-1, num + 1):
            raise ValueError(f'frozen_stages must be in range(-1, {num + 1}) '
                             f'for {type(self).__name__}, got {frozen_stages}')
        self.spec = spec
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.layers = list(spec.layer_names)

    @property
    def out_channels(self) -> tuple:
        """Base widths of the outputs (what a stock neck reads)."""
        return tuple(self.spec.out_channels[i] for i in self.out_indices)


class TinyNetBackbone(TinyBackboneMixin, BaseModule):
    """A reference tiny ImageNet model as an mmdet backbone.

    Returns the outputs of ``out_indices``. Layers after the last output
    are kept (so full ImageNet checkpoints load strictly) but not run.
    Subclasses pick the spec; see ``tiny_models`` for the registered ones.
    """

    def __init__(self,
                 spec: TinyNetSpec,
                 out_indices: Sequence[int] = (2, 4, 6),
                 frozen_stages: int = -1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg=STATIC_INIT_CFG):
        super().__init__(init_cfg)
        self._setup(spec, out_indices, frozen_stages, norm_eval)
        cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.conv1 = ConvModule(
            3,
            spec.stem_channels,
            3,
            stride=2,
            padding=1,
            act_cfg=spec.stem_act,
            **cfg)
        for i, layer in enumerate(spec.layers):
            blocks = [
                TinyInvertedResidual(
                    b.in_channels,
                    b.out_channels,
                    b.mid_channels,
                    kernel_size=b.kernel_size,
                    stride=b.stride,
                    with_expand_conv=b.with_expand_conv,
                    with_res_shortcut=b.with_res_shortcut,
                    se_channels=b.se_channels,
                    act_cfg=b.act_cfg,
                    with_cp=with_cp,
                    **cfg) for b in layer
            ]
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
        if spec.conv2_channels:
            self.conv2 = ConvModule(
                spec.layers[-1][-1].out_channels,
                spec.conv2_channels,
                1,
                act_cfg=spec.conv2_act,
                **cfg)

    def forward(self, x):
        return self._forward_stages(x, self.out_indices[-1] + 1)
