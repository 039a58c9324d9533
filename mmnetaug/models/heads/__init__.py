from .netaug_rtmdet_head import NetAugRTMDetSepBNHead
from .netaug_ssd_head import NetAugSSDHead
from .netaug_yolo_head import NetAugYOLOV3Head
from .ssd_head_compat import fix_ssd_head_predict

fix_ssd_head_predict()

__all__ = [
    'NetAugYOLOV3Head', 'NetAugSSDHead', 'fix_ssd_head_predict',
    'NetAugRTMDetSepBNHead'
]
