# SSDLite + MobileNetV2 on Pascal VOC (07+12 trainval, VOC2007 test,
# 11-point mAP), 320 px, from scratch: stock mmdet types, the baseline twin of
# netaug_ssdlite_mbv2_voc.py. Data layout as mmdet's
# _base_/datasets/voc0712.py (data/VOCdevkit/VOC2007, VOC2012).
_base_ = './baseline_ssdlite_mbv2.py'

dataset_type = 'VOCDataset'
data_root = 'data/VOCdevkit/'

model = dict(bbox_head=dict(num_classes=20))

# Each epoch sees the 16.5k trainval images 10 times (as mmdet's SSD300 VOC
# config); with the base 120-epoch cosine schedule that is ~100k iterations
# at batch 8x24.
voc_train = dict(
    type=dataset_type,
    data_root=data_root,
    filter_cfg=dict(filter_empty_gt=True, min_size=32, bbox_min_size=32),
    pipeline={{_base_.train_pipeline}})
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=10,
        dataset=dict(
            type='ConcatDataset',
            # VOCDataset adds `dataset_type` to its metainfo, which
            # ConcatDataset would refuse to merge
            ignore_keys=['dataset_type'],
            datasets=[
                dict(
                    voc_train,
                    ann_file='VOC2007/ImageSets/Main/trainval.txt',
                    data_prefix=dict(sub_data_root='VOC2007/')),
                dict(
                    voc_train,
                    ann_file='VOC2012/ImageSets/Main/trainval.txt',
                    data_prefix=dict(sub_data_root='VOC2012/'))
            ])))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='VOC2007/ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True, type='VOCMetric', metric='mAP', eval_mode='11points')
test_evaluator = val_evaluator
