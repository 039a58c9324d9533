# SSDLite + MobileNetV2 on COCO 2017 (320 px, mmdet's 600e-equivalent
# schedule, from scratch): the stock mmdet model, the baseline twin of
# netaug_ssdlite_mbv2.py. Builds without the network (TruncNormal init).
_base_ = 'mmdet::ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py'
