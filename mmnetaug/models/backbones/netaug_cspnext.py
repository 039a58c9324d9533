"""CSPNeXt (RTMDet) supernet for NetAug, equal to mmdet's at base width."""
import torch.nn as nn
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmdet.models.backbones import CSPNeXt
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from mmnetaug.registry import MODELS
from mmnetaug.space import check_factors
from mmnetaug.widths import width_choice
from ..layers import dynamic_conv_cfg, dynamic_norm_cfg
from ..layers.grouped_input import output_conv
from ..layers.netaug_csp_layer import NetAugCSPLayer
from ..layers.netaug_spp_bottleneck import NetAugSPPBottleneck
from ..stock_twin import StockTwinMixin
# mmdet's CSPNeXt init is CSPDarknet's (the reference NetAug rule too)
from .netaug_csp_darknet import CSP_INIT_CFG


@MODELS.register_module()
class NetAugCSPNeXt(StockTwinMixin, BaseModule):
    """mmdet's ``CSPNeXt`` as the leading slice of a wider supernet.

    Takes the arguments of ``mmdet.models.CSPNeXt`` (same order) plus the
    NetAug factor lists, as ``NetAugCSPDarknet``. Width knobs: each of the
    three stem convs (the last is output 0), and per stage the stride-2
    conv (also the SPP output), the two CSP branches and the CSP output
    (the stage's output, fixed at base width when it feeds a stock neck,
    i.e. is in ``out_indices``, unless ``augment_outputs``). Each CSPNeXt
    block keeps its input width and has an expand knob for its hidden
    width; the channel attention reads and writes the leading channels of
    both CSP branches. A freshly built model is at base width, where its
    parameter names, sliced shapes and outputs are the stock backbone's;
    stock checkpoints load into the leading slice (of each part of a
    concatenation).

    Args:
        width_factors (Sequence[float]): width multipliers, 1.0 first.
        expand_factors (Sequence[float]): block hidden width multipliers,
            1.0 first.
        augment_outputs (bool): whether the outputs in ``out_indices`` vary
            their width too (only for a NetAug neck, which reads any width).

    Widths are rounded by ``mmnetaug.widths`` (rule ``'mmdet'``, also the
    rule of the outputs a neck reads); base widths are mmdet's.
    """
    stock_type = 'CSPNeXt'
    netaug_args = ('width_factors', 'expand_factors', 'augment_outputs')
    arch_settings = CSPNeXt.arch_settings

    def __init__(self,
                 arch='P5',
                 deepen_factor=1.0,
                 widen_factor=1.0,
                 out_indices=(2, 3, 4),
                 frozen_stages=-1,
                 use_depthwise=False,
                 expand_ratio=0.5,
                 arch_ovewrite=None,
                 spp_kernel_sizes=(5, 9, 13),
                 channel_attention=True,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg=dict(type='SiLU'),
                 norm_eval=False,
                 init_cfg=CSP_INIT_CFG,
                 width_factors=(1.0, 1.8, 2.6),
                 expand_factors=(1.0, 1.6, 2.2, 2.8),
                 augment_outputs=False):
        super().__init__(init_cfg)
        if arch not in self.arch_settings:
            raise ValueError(f'arch must be one of '
                             f'{sorted(self.arch_settings)}, got {arch!r}')
        arch_setting = arch_ovewrite or self.arch_settings[arch]
        for name, value in (('deepen_factor', deepen_factor),
                            ('widen_factor', widen_factor),
                            ('expand_ratio', expand_ratio)):
            if not value > 0:
                raise ValueError(f'{name} must be > 0, got {value}; e.g. '
                                 'RTMDet-tiny: deepen_factor=0.167, '
                                 'widen_factor=0.375, expand_ratio=0.5')
        num_outs = len(arch_setting) + 1
        if not out_indices or not set(out_indices).issubset(range(num_outs)):
            raise ValueError(
                f'out_indices={tuple(out_indices)} must be a non-empty subset '
                f'of range(0, {num_outs}) (0 = stem, i = stage i)')
        if frozen_stages not in range(-1, num_outs):
            raise ValueError(f'frozen_stages must be in range(-1, '
                             f'{num_outs}), got {frozen_stages}')
        self.width_factors = check_factors('width_factors', width_factors)
        self.expand_factors = check_factors('expand_factors', expand_factors)
        self.augment_outputs = augment_outputs
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.use_depthwise = use_depthwise
        self.norm_eval = norm_eval
        cfg = dict(
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg),
            act_cfg=act_cfg)
        layer_cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                         act_cfg=act_cfg)
        conv = DepthwiseSeparableConvModule if use_depthwise else ConvModule

        # mmdet: 3 -> c // 2 (stride 2) -> c // 2 -> c, plain convs
        stem_base = int(arch_setting[0][0] * widen_factor)
        stem_mid = int(arch_setting[0][0] * widen_factor // 2)
        self.stem_choices = [
            width_choice(stem_mid, self.width_factors),
            width_choice(stem_mid, self.width_factors),
            width_choice(stem_base, self._factors_of(0)),
        ]
        in_max = 3
        stem = []
        for i, choice in enumerate(self.stem_choices):
            stem.append(
                ConvModule(in_max, choice.max, 3, stride=2 if i == 0 else 1,
                           padding=1, **cfg))
            in_max = choice.max
        self.stem = nn.Sequential(*stem)
        self.layers = ['stem']
        self.stage_conv_choices, self.stage_choices = [], []
        prev = self.stem_choices[-1]
        for i, (in_channels, out_channels, num_blocks, add_identity,
                use_spp) in enumerate(arch_setting):
            if int(in_channels * widen_factor) != prev.base:
                raise ValueError(
                    f'arch_ovewrite stage {i + 1} reads {in_channels} '
                    f'channels but the previous stage gives {prev.base}')
            out_channels = int(out_channels * widen_factor)
            num_blocks = max(round(num_blocks * deepen_factor), 1)
            conv_choice = width_choice(out_channels, self.width_factors)
            stage = [
                conv(prev.max, conv_choice.max, 3, stride=2, padding=1,
                     **cfg)
            ]
            if use_spp:
                stage.append(
                    NetAugSPPBottleneck(
                        conv_choice.max,
                        conv_choice,
                        base_in_channels=out_channels,
                        kernel_sizes=spp_kernel_sizes,
                        **layer_cfg))
            out_choice = width_choice(out_channels, self._factors_of(i + 1))
            stage.append(
                NetAugCSPLayer(
                    conv_choice.max,
                    out_choice,
                    width_choice(int(out_channels * expand_ratio),
                                 self.width_factors),
                    num_blocks=num_blocks,
                    add_identity=add_identity,
                    use_depthwise=use_depthwise,
                    expand_factors=self.expand_factors,
                    use_cspnext_block=True,
                    channel_attention=channel_attention,
                    **layer_cfg))
            self.add_module(f'stage{i + 1}', nn.Sequential(*stage))
            self.layers.append(f'stage{i + 1}')
            self.stage_conv_choices.append(conv_choice)
            self.stage_choices.append(out_choice)
            prev = out_choice

    def _factors_of(self, index):
        """Factors of output ``index``: fixed if it feeds a stock neck."""
        if index in self.out_indices and not self.augment_outputs:
            return (1.0, )
        return self.width_factors

    def out_width_choices(self):
        """The width knob of each output, in output order."""
        entries = [self.stem_choices[-1]] + self.stage_choices
        return [entries[i] for i in self.out_indices]

    def netaug_choices(self):
        """Stem and stride-2 conv knobs; stages list their own."""
        return list(self.stem_choices) + list(self.stage_conv_choices)

    def forward(self, x):
        for conv_module, choice in zip(self.stem, self.stem_choices):
            conv_module.conv.active_out_channels = choice.value
        for name, choice in zip(self.layers[1:], self.stage_conv_choices):
            output_conv(getattr(self, name)[0]).active_out_channels = \
                choice.value
        outs = []
        for i, name in enumerate(self.layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self):
        """As mmdet: the stem and the first ``frozen_stages`` stages."""
        for name in self.layers[:self.frozen_stages + 1]:
            layer = getattr(self, name)
            layer.eval()
            for param in layer.parameters():
                param.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
