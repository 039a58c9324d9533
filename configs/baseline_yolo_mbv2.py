# YOLOv3 + MobileNetV2 on COCO 2017 (320 px, mmdet's 300e schedule): the
# stock mmdet model, the baseline twin of netaug_yolo_mbv2.py.
_base_ = 'mmdet::yolo/yolov3_mobilenetv2_8xb24-320-300e_coco.py'

# mmdet's config initialises the backbone from 'open-mmlab://', which needs
# the network. Here the backbone starts from scratch; to start from an
# ImageNet-pretrained MobileNetV2 on disk, pass
#   --cfg-options model.backbone.pretrained=/path/to/mobilenet_v2.pth
model = dict(backbone=dict(init_cfg=None))
