# Shared part of the tiny-backbone YOLOv3 configs on Pascal VOC: train on
# VOC2007+2012 trainval, test on VOC2007 test (11-point mAP), same model,
# 320 px pipelines and schedule as the COCO twin (yolov3_tiny_coco.py).
_base_ = './yolov3_tiny_coco.py'

dataset_type = 'VOCDataset'
data_root = 'data/VOCdevkit/'

model = dict(bbox_head=dict(num_classes=20))

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
                    type=dataset_type,
                    data_root=data_root,
                    ann_file='VOC2007/ImageSets/Main/trainval.txt',
                    data_prefix=dict(sub_data_root='VOC2007/'),
                    filter_cfg=dict(
                        filter_empty_gt=True, min_size=32, bbox_min_size=32),
                    pipeline={{_base_.train_pipeline}}),
                dict(
                    type=dataset_type,
                    data_root=data_root,
                    ann_file='VOC2012/ImageSets/Main/trainval.txt',
                    data_prefix=dict(sub_data_root='VOC2012/'),
                    filter_cfg=dict(
                        filter_empty_gt=True, min_size=32, bbox_min_size=32),
                    pipeline={{_base_.train_pipeline}})
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
