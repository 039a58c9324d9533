# RTMDet-tiny on Pascal VOC: train on VOC2007+2012 trainval, test on VOC2007
# test (VOCDataset, VOCMetric, 11-point mAP), 20 classes, mmdet's RTMDet
# recipe and 300-epoch schedule otherwise. Baseline twin of
# netaug_rtmdet_tiny_voc.py.
#
# The training set is one dataset, VOC07+12 trainval in COCO format, as
# mmdet's pascal_voc/*-cocofmt.py configs read it, not a ConcatDataset of
# the two years: PipelineSwitchHook replaces `train_dataloader.dataset`'s
# pipeline, which a ConcatDataset has not (the stage-2 switch would do
# nothing). Write the file once from the VOC XML with mmdet's converter:
#     python "$(python -c 'import mmdet, os; print(os.path.dirname(
#         mmdet.__file__))')/.mim/tools/dataset_converters/pascal_voc.py" \
#         data/VOCdevkit -o data/VOCdevkit/annotations --out-format coco
# (difficult objects become iscrowd, i.e. ignored, as VOCDataset does).
_base_ = './baseline_rtmdet_tiny_coco.py'

data_root = 'data/VOCdevkit/'
# VOCDataset's classes, in its order: the labels the VOC2007 test set uses
voc_classes = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
               'motorbike', 'person', 'pottedplant', 'sheep', 'sofa',
               'train', 'tvmonitor')

model = dict(bbox_head=dict(num_classes=len(voc_classes)))

train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/voc0712_trainval.json',
        data_prefix=dict(img=''),
        metainfo=dict(classes=voc_classes)))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='VOCDataset',
        data_root=data_root,
        ann_file='VOC2007/ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True, type='VOCMetric', metric='mAP', eval_mode='11points')
test_evaluator = val_evaluator
