"""``TinyInvertedResidual`` with dynamic widths (kernel sizes, SE, acts)."""
from typing import List, Optional, Sequence

import torch

from mmnetaug.space import EXPAND, WidthChoice
from mmnetaug.widths import REFERENCE, round_hidden
from .channel_sorting import sort_hidden_channels
from .dynamic_cfg import dynamic_conv_cfg, dynamic_norm_cfg
from .netaug_se import NetAugSELayer
from .tiny_inverted_residual import TinyInvertedResidual


class NetAugTinyInvertedResidual(TinyInvertedResidual):
    """The static block's parameter names, allocated at maximum width.

    As in the reference ``DynamicInvertedBlock``: the hidden width is
    ``round(active input width x base ratio x expand factor)`` with base
    ratio = base hidden / base input width, so it follows both the sampled
    input width and the block's own expand knob; an SE layer's mid width
    follows the hidden width through its reduction ratio.

    Args:
        in_channels (int): maximum input width.
        out_choice (WidthChoice): output width knob; a block with an identity
            shortcut ignores it and keeps its input width.
        base_in_channels (int): input width of the base network.
        base_mid_channels (int): hidden width of the base network.
        expand_factors (Sequence[float]): multipliers of the base ratio, 1.0
            first (ignored without an expand conv).
        se_channels (int): SE mid width of the base network, 0 for no SE.
        Others: as ``TinyInvertedResidual``.
    """

    def __init__(self,
                 in_channels: int,
                 out_choice: WidthChoice,
                 base_in_channels: int,
                 base_mid_channels: int,
                 expand_factors: Sequence[float] = (1.0, ),
                 kernel_size: int = 3,
                 stride: int = 1,
                 with_expand_conv: bool = True,
                 with_res_shortcut: bool = False,
                 se_channels: int = 0,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 with_cp: bool = False,
                 init_cfg=None):
        if not 1 <= base_in_channels <= in_channels:
            raise ValueError(
                f'base_in_channels must be in [1, in_channels={in_channels}]'
                f', got {base_in_channels}')
        # plain attributes, set before nn.Module init because build_se (called
        # by the parent's __init__) needs the base widths
        self.base_mid_channels = base_mid_channels
        self.expand_ratio = base_mid_channels / base_in_channels + 1e-10
        self.expand_choice = (
            WidthChoice(expand_factors, EXPAND) if with_expand_conv else None)
        self.out_choice = out_choice
        mid_channels = (
            self.hidden_channels(in_channels, max(expand_factors))
            if with_expand_conv else in_channels)
        out_channels = in_channels if with_res_shortcut else out_choice.max
        super().__init__(
            in_channels,
            out_channels,
            mid_channels,
            kernel_size=kernel_size,
            stride=stride,
            with_expand_conv=with_expand_conv,
            with_res_shortcut=with_res_shortcut,
            se_channels=se_channels,
            conv_cfg=dynamic_conv_cfg(conv_cfg),
            norm_cfg=dynamic_norm_cfg(norm_cfg),
            act_cfg=act_cfg,
            with_cp=with_cp,
            init_cfg=init_cfg)

    def hidden_channels(self, in_channels: int, factor: float) -> int:
        return round_hidden(in_channels * self.expand_ratio * factor,
                            REFERENCE)

    def build_se(self, channels, se_channels, conv_cfg):
        return NetAugSELayer(
            channels, self.base_mid_channels, se_channels, conv_cfg=conv_cfg)

    def netaug_choices(self) -> List[WidthChoice]:
        knobs = [] if self.with_res_shortcut else [self.out_choice]
        return knobs + ([self.expand_choice] if self.expand_choice else [])

    def set_active_widths(self, in_channels: int) -> None:
        if self.with_expand_conv:
            self.expand_conv.conv.active_out_channels = self.hidden_channels(
                in_channels, self.expand_choice.value)
        self.linear_conv.conv.active_out_channels = (
            in_channels if self.with_res_shortcut else self.out_choice.value)

    @torch.no_grad()
    def sort_channels(self) -> list:
        """Sort hidden channels by importance; function-preserving.

        Importance of a hidden channel = L1 norm of the projection weights
        that read it (reference ``sort_channels_inner``). The permutation is
        applied to every tensor carrying hidden channels, the SE convs
        included; then the SE mid channels are sorted too. Returns
        ``(param, dim, perm)`` per permuted parameter for optimizer state.
        """
        if not self.with_expand_conv:
            return []
        result = sort_hidden_channels(
            (self.expand_conv, self.depthwise_conv),
            self.linear_conv.conv.weight,
            extra=self.se.hidden_tensors() if self.se is not None else ())
        if self.se is not None:
            result.extend(self.se.sort_mid_channels())
        return result
