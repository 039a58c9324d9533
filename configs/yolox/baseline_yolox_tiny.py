# YOLOX-tiny on COCO 2017 (416 px test, mmdet's 300e recipe: Mosaic,
# RandomAffine, YOLOXModeSwitchHook for the last 15 epochs, SyncNormHook,
# EMA): the stock mmdet model, the baseline twin of netaug_yolox_tiny.py.
# Nothing is downloaded: CSPDarknet starts from mmdet's Kaiming init.
_base_ = 'mmdet::yolox/yolox_tiny_8xb8-300e_coco.py'
