from .dynamic_cfg import dynamic_conv_cfg, dynamic_norm_cfg
from .netaug_inverted_residual import NetAugInvertedResidual

__all__ = ['dynamic_conv_cfg', 'dynamic_norm_cfg', 'NetAugInvertedResidual']
