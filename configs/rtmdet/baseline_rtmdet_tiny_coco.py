# RTMDet-tiny on COCO 2017 (640 px, mmdet's 300e recipe: CachedMosaic and
# CachedMixUp, PipelineSwitchHook to the lighter stage-2 pipeline for the
# last 20 epochs, EMA with ExpMomentumEMA, AdamW with a flat then cosine LR,
# validation every epoch of stage 2): the stock mmdet model, the baseline
# twin of netaug_rtmdet_tiny_coco.py.
_base_ = 'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py'

# Nothing is downloaded: mmdet's config initialises CSPNeXt from an
# ImageNet-pretrained checkpoint (an URL); both twins start from mmdet's
# init instead, as the project's other configs. To start from it, inherit
# this config (or the NetAug twin, which loads it into its base network)
# and set
#     model = dict(backbone=dict(init_cfg=dict(
#         type='Pretrained', prefix='backbone.', checkpoint=CKPT)))
# with CKPT mmdet's cspnext-tiny_imagenet_600e.pth: its URL (this config's
# `checkpoint` variable) or a local copy of the file.
model = dict(backbone=dict(init_cfg=None))
