"""MCUNet (0.74M params, 81.8M MACs at 176 px) and its supernet."""
from mmnetaug.registry import MODELS
from .netaug_tiny_base import NetAugTinyNetBackbone
from .tiny_arch import mcunet_spec
from .tiny_base import TinyNetBackbone


@MODELS.register_module()
class MCUNet(TinyNetBackbone):
    """The paper's MCUNet ImageNet model (reference ``mcunet``).

    Searched kernel sizes (3/5/7) and expand ratios (3-6) per block. Outputs
    of the default ``out_indices=(2, 4, 6)``: 24, 48, 160 channels at
    strides 8, 16, 32 (index 6 is the 7x7 head block).
    """

    def __init__(self, act_cfg=dict(type='ReLU6'), **kwargs):
        super().__init__(mcunet_spec(act_cfg), **kwargs)


@MODELS.register_module()
class NetAugMCUNet(NetAugTinyNetBackbone):
    """NetAug supernet of ``MCUNet``: width factors [1, 1.6, 2.2]."""
    stock_type = 'mmnetaug.MCUNet'

    def __init__(self,
                 act_cfg=dict(type='ReLU6'),
                 width_factors=(1.0, 1.6, 2.2),
                 expand_factors=(1.0, 1.6, 2.2, 2.8),
                 **kwargs):
        super().__init__(
            mcunet_spec(act_cfg),
            width_factors=width_factors,
            expand_factors=expand_factors,
            **kwargs)
