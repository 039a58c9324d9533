"""ProxylessNAS-Mobile (x0.35: 1.8M params, 35.7M MACs at 160 px)."""
from mmnetaug.registry import MODELS
from .netaug_tiny_base import NetAugTinyNetBackbone
from .tiny_arch import proxylessnas_spec
from .tiny_base import TinyNetBackbone


@MODELS.register_module()
class ProxylessNASMobile(TinyNetBackbone):
    """ProxylessNAS-Mobile (reference ``proxylessnas-<widen_factor>``).

    Outputs of the default ``out_indices=(2, 4, 6)`` at x0.35: 16, 32, 112
    channels at strides 8, 16, 32. Index 7 is the 1280-wide final conv.
    """

    def __init__(self,
                 widen_factor=0.35,
                 act_cfg=dict(type='ReLU6'),
                 **kwargs):
        super().__init__(proxylessnas_spec(widen_factor, act_cfg), **kwargs)
        self.widen_factor = widen_factor


@MODELS.register_module()
class NetAugProxylessNASMobile(NetAugTinyNetBackbone):
    """NetAug supernet of ``ProxylessNASMobile`` (reference factor lists)."""
    stock_type = 'mmnetaug.ProxylessNASMobile'

    def __init__(self,
                 widen_factor=0.35,
                 act_cfg=dict(type='ReLU6'),
                 width_factors=(1.0, 1.8, 2.6),
                 expand_factors=(1.0, 1.6, 2.2, 2.8),
                 **kwargs):
        super().__init__(
            proxylessnas_spec(widen_factor, act_cfg),
            width_factors=width_factors,
            expand_factors=expand_factors,
            **kwargs)
        self.widen_factor = widen_factor
