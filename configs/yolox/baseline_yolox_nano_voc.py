# YOLOX-nano on Pascal VOC: train on VOC2007+2012 trainval through mmdet's
# Mosaic pipeline (MultiImageMixDataset over both years), test on VOC2007
# test (VOCMetric, 11-point mAP), 20 classes, mmdet's YOLOX recipe and
# 300-epoch schedule otherwise (no RepeatDataset: YOLOXModeSwitchHook counts
# its last 15 epochs in real epochs). Baseline twin of
# netaug_yolox_nano_voc.py.
_base_ = './baseline_yolox_nano.py'

dataset_type = 'VOCDataset'
data_root = 'data/VOCdevkit/'

model = dict(bbox_head=dict(num_classes=20))

train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            _delete_=True,
            type='ConcatDataset',
            # VOCDataset adds `dataset_type` to its metainfo, which
            # ConcatDataset would otherwise refuse to merge
            ignore_keys=['dataset_type'],
            datasets=[
                dict(
                    type=dataset_type,
                    data_root=data_root,
                    ann_file=f'VOC{year}/ImageSets/Main/trainval.txt',
                    data_prefix=dict(sub_data_root=f'VOC{year}/'),
                    filter_cfg=dict(filter_empty_gt=False, min_size=32),
                    pipeline=[
                        dict(type='LoadImageFromFile'),
                        dict(type='LoadAnnotations', with_bbox=True)
                    ]) for year in (2007, 2012)
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
