"""MobileNetV3-Large x0.35 (2.11M params, 19.6M MACs at 160 px)."""
from mmnetaug.registry import MODELS
from .netaug_tiny_base import NetAugTinyNetBackbone
from .tiny_arch import mobilenet_v3_spec
from .tiny_base import TinyNetBackbone


@MODELS.register_module()
class MobileNetV3Large(TinyNetBackbone):
    """MobileNetV3-Large (reference ``mbv3-<widen_factor>``).

    Activations (ReLU / h-swish) and SE placement are fixed per stage by the
    architecture, so there is no ``act_cfg``. Outputs of the default
    ``out_indices=(2, 4, 6)`` at x0.35: 16, 40, 336 channels at strides 8,
    16, 32 (index 6 is the final 1x1 conv, 960 x widen_factor wide).
    """

    def __init__(self, widen_factor=0.35, **kwargs):
        super().__init__(mobilenet_v3_spec(widen_factor), **kwargs)
        self.widen_factor = widen_factor


@MODELS.register_module()
class NetAugMobileNetV3Large(NetAugTinyNetBackbone):
    """NetAug supernet of ``MobileNetV3Large``: width factors [1, 2, 3].

    The SE mid widths follow the hidden widths through each block's base
    reduction ratio.
    """
    stock_type = 'mmnetaug.MobileNetV3Large'

    def __init__(self,
                 widen_factor=0.35,
                 width_factors=(1.0, 2.0, 3.0),
                 expand_factors=(1.0, 1.6, 2.2, 2.8),
                 **kwargs):
        super().__init__(
            mobilenet_v3_spec(widen_factor),
            width_factors=width_factors,
            expand_factors=expand_factors,
            **kwargs)
        self.widen_factor = widen_factor
