# YOLOv3 + MCUNet on COCO 2017 (320 px) with stock (non-NetAug) layers: the
# baseline twin of netaug_yolo_mcunet_coco.py. The backbone is the reference
# ImageNet architecture with its own activations (not the LeakyReLU of mmdet's
# YOLOv3-MobileNetV2) and starts from scratch.
# To start from the reference ImageNet checkpoint (mcunet) on disk, pass
#   --cfg-options model.backbone.reference_checkpoint=/path/to/ckpt.pth
_base_ = './yolov3_tiny_coco.py'

model = dict(
    backbone=dict(
        _delete_=True, type='mmnetaug.MCUNet', out_indices=(2, 4, 6)),
    neck=dict(in_channels=[160, 48, 24]))
