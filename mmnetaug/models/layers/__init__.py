from .dynamic_cfg import dynamic_conv_cfg, dynamic_norm_cfg
from .netaug_channel_attention import NetAugChannelAttention
from .netaug_csp_layer import NetAugCSPLayer, NetAugDarknetBottleneck
from .netaug_cspnext_block import NetAugCSPNeXtBlock
from .netaug_inverted_residual import NetAugInvertedResidual
from .netaug_se import NetAugSELayer
from .netaug_spp_bottleneck import NetAugSPPBottleneck
from .netaug_tiny_inverted_residual import NetAugTinyInvertedResidual
from .tiny_inverted_residual import TinyInvertedResidual
from .tiny_se import TinySELayer

__all__ = [
    'dynamic_conv_cfg', 'dynamic_norm_cfg', 'NetAugInvertedResidual',
    'NetAugSELayer', 'NetAugTinyInvertedResidual', 'TinyInvertedResidual',
    'TinySELayer', 'NetAugCSPLayer', 'NetAugDarknetBottleneck',
    'NetAugSPPBottleneck', 'NetAugChannelAttention', 'NetAugCSPNeXtBlock'
]
