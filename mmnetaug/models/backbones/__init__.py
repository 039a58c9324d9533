from .netaug_csp_darknet import NetAugCSPDarknet
from .netaug_cspnext import NetAugCSPNeXt
from .netaug_mobilenet_v2 import NetAugMobileNetV2
from .tiny_mcunet import MCUNet, NetAugMCUNet
from .tiny_mobilenet_v2 import NetAugTinyMobileNetV2, TinyMobileNetV2
from .tiny_mobilenet_v3 import MobileNetV3Large, NetAugMobileNetV3Large
from .tiny_proxylessnas import NetAugProxylessNASMobile, ProxylessNASMobile

__all__ = [
    'NetAugMobileNetV2', 'TinyMobileNetV2', 'NetAugTinyMobileNetV2',
    'MCUNet', 'NetAugMCUNet', 'ProxylessNASMobile',
    'NetAugProxylessNASMobile', 'MobileNetV3Large', 'NetAugMobileNetV3Large',
    'NetAugCSPDarknet', 'NetAugCSPNeXt'
]
