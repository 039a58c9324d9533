# YOLOv3 + MobileNetV3-Large x0.35 on Pascal VOC 07+12 (320 px) with stock
# (non-NetAug) layers: the baseline twin of netaug_yolo_mbv3_voc.py. The
# backbone is the reference ImageNet architecture with its own activations (not
# the LeakyReLU of mmdet's YOLOv3-MobileNetV2) and starts from scratch.
# To start from the reference ImageNet checkpoint, convert it
#   python tools/model_converters/netaug_reference_to_mmnetaug.py \
#       ckpt.pth converted.pth --arch mbv3-0.35
# and pass --cfg-options model.backbone.init_cfg.type=Pretrained
#   model.backbone.init_cfg.checkpoint=converted.pth
#   model.backbone.init_cfg.prefix=backbone.
_base_ = './yolov3_tiny_voc.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmnetaug.MobileNetV3Large',
        widen_factor=0.35,
        out_indices=(2, 4, 6)),
    neck=dict(in_channels=[336, 40, 16]))
