"""MobileNetV2-Tiny (0.75M params, 23.5M MACs at 144 px) and its supernet."""
from mmnetaug.registry import MODELS
from .netaug_tiny_base import NetAugTinyNetBackbone
from .tiny_arch import tiny_mobilenet_v2_spec
from .tiny_base import TinyNetBackbone


@MODELS.register_module()
class TinyMobileNetV2(TinyNetBackbone):
    """MobileNetV2 x0.35 with a 112/448 head (reference ``tinymbv2``).

    Outputs of the default ``out_indices=(2, 4, 6)``: 16, 32, 112 channels
    at strides 8, 16, 32. Index 7 is the 448-wide final conv.
    """

    def __init__(self, act_cfg=dict(type='ReLU6'), **kwargs):
        super().__init__(tiny_mobilenet_v2_spec(act_cfg), **kwargs)


@MODELS.register_module()
class NetAugTinyMobileNetV2(NetAugTinyNetBackbone):
    """NetAug supernet of ``TinyMobileNetV2`` (reference factor lists)."""
    stock_type = 'mmnetaug.TinyMobileNetV2'

    def __init__(self,
                 act_cfg=dict(type='ReLU6'),
                 width_factors=(1.0, 1.8, 2.6),
                 expand_factors=(1.0, 1.6, 2.2, 2.8),
                 **kwargs):
        super().__init__(
            tiny_mobilenet_v2_spec(act_cfg),
            width_factors=width_factors,
            expand_factors=expand_factors,
            **kwargs)
