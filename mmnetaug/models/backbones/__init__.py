from .netaug_mobilenet_v2 import NetAugMobileNetV2

__all__ = ['NetAugMobileNetV2']
