"""Weight-sharing dynamic-width layers (prefix slicing, export to static)."""
from .dynamic_bn import DynamicBatchNorm2d
from .dynamic_conv import DynamicConv2d
from .dynamic_linear import DynamicLinear
from .dynamic_sync_bn import DynamicSyncBatchNorm2d
from .leading_slice import LeadingSliceLoadMixin

# DynamicSyncBatchNorm2d is a DynamicBatchNorm2d
DYNAMIC_LAYERS = (DynamicConv2d, DynamicBatchNorm2d, DynamicLinear)

__all__ = [
    'DynamicConv2d', 'DynamicBatchNorm2d', 'DynamicSyncBatchNorm2d',
    'DynamicLinear',
    'LeadingSliceLoadMixin', 'DYNAMIC_LAYERS'
]
