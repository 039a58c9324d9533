from .netaug_cspnext_pafpn import NetAugCSPNeXtPAFPN
from .netaug_detection_block import NetAugDetectionBlock
from .netaug_ssd_neck import NetAugSSDNeck
from .netaug_yolo_neck import NetAugYOLOV3Neck
from .netaug_yolox_pafpn import NetAugYOLOXPAFPN

__all__ = [
    'NetAugDetectionBlock', 'NetAugYOLOV3Neck', 'NetAugSSDNeck',
    'NetAugYOLOXPAFPN', 'NetAugCSPNeXtPAFPN'
]
