"""NetAug SSDLite: neck and head against stock, sampled configurations,
the COCO/VOC config pairs, export, and a short NetAug training run."""
import functools

import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st
from mmdet.models.dense_heads import SSDHead
from mmdet.models.necks import SSDNeck
from mmengine.config import Config, ConfigDict
from mmengine.runner import Runner

from mmnetaug.datasets import SHAPES_CLASSES
from mmnetaug.export import build_detector, export, export_config, max_abs_diff
from mmnetaug.models import NetAugSSDHead, NetAugSSDNeck
from mmnetaug.space import (current_config, netaug_choices, sample_wide,
                            set_base, set_config, set_max, unwrap)
from helpers import shapes_data
from detector_helpers import (_one_thread, load_cfg, moved_regions,  # noqa
                              load_exported, n_params, randomise_bn,
                              sampled_detector, static_twin,
                              wide_only_regions)

NUM_CLASSES = 3
TINY_OUT = (32, 1280, 128, 64, 64, 32)  # MobileNetV2 x0.35 outputs 32, 1280
TINY_SSD = dict(
    model=dict(
        backbone=dict(widen_factor=0.35),
        neck=dict(in_channels=TINY_OUT[:2], out_channels=TINY_OUT),
        bbox_head=dict(num_classes=NUM_CLASSES, in_channels=TINY_OUT)))
BN = dict(type='BN', eps=0.001, momentum=0.03)
SSDLITE_NECK = dict(
    in_channels=(24, 96),
    out_channels=(24, 96, 64, 32, 32, 16),
    level_strides=(2, 2, 2, 2),
    level_paddings=(1, 1, 1, 1),
    l2_norm_scale=None,
    use_depthwise=True,
    norm_cfg=BN,
    act_cfg=dict(type='ReLU6'))
# SSD300-style: plain 3x3 convs, no BN, L2Norm on the first input
SSD_NECK = dict(
    in_channels=(24, 96),
    out_channels=(24, 96, 64, 32, 32, 16),
    level_strides=(2, 2, 1, 1),
    level_paddings=(1, 1, 1, 1),
    l2_norm_scale=20.)
SSDLITE_ANCHORS = dict(
    type='SSDAnchorGenerator',
    scale_major=False,
    strides=[16, 32, 64, 107, 160, 320],
    ratios=[[2, 3]] * 6,
    min_sizes=[48, 100, 150, 202, 253, 304],
    max_sizes=[100, 150, 202, 253, 304, 320])


def _feats(widths, sizes=(8, 4, 2, 1, 1, 1)):
    return [torch.randn(2, c, s, s) for c, s in zip(widths, sizes)]


# ---- neck and head against their stock twins ------------------------------
@pytest.mark.parametrize('args, netaug_args', [
    (SSDLITE_NECK, dict()),
    (SSDLITE_NECK, dict(augment_outputs=True)),
    (SSD_NECK, dict(in_width_factors=(1.0, ))),
])
def test_ssd_neck_base_equals_stock(args, netaug_args):
    stock = SSDNeck(**args)
    stock.init_weights()
    randomise_bn(stock)
    if hasattr(stock, 'l2_norm'):
        stock.l2_norm.weight.data.uniform_(5, 20)
    neck = NetAugSSDNeck(**args, **netaug_args)
    neck.load_state_dict(stock.state_dict(), strict=True)
    stock.eval()
    neck.eval()
    feats = _feats(args['in_channels'], (8, 4))
    with torch.no_grad():
        outs, ref = neck(feats), stock(feats)
    assert [o.shape for o in outs] == [r.shape for r in ref]
    assert max_abs_diff(outs, ref) <= 1e-5
    static = static_twin(neck, lambda m: m(feats))
    assert list(static.state_dict()) == list(stock.state_dict())
    for key, value in stock.state_dict().items():
        assert torch.equal(static.state_dict()[key], value), key


@pytest.mark.parametrize('use_depthwise', [True, False])
def test_ssd_head_base_equals_stock(use_depthwise):
    args = dict(num_classes=NUM_CLASSES,
                in_channels=SSDLITE_NECK['out_channels'],
                use_depthwise=use_depthwise,
                anchor_generator=SSDLITE_ANCHORS)
    if use_depthwise:
        args.update(norm_cfg=BN, act_cfg=dict(type='ReLU6'))
    stock = SSDHead(**args)
    stock.init_weights()
    randomise_bn(stock)
    head = NetAugSSDHead(**args)
    head.load_state_dict(stock.state_dict(), strict=True)
    stock.eval()
    head.eval()
    feats = _feats(args['in_channels'])
    with torch.no_grad():
        outs, ref = head(feats), stock(feats)
    assert max_abs_diff(outs, ref) <= 1e-5
    # the supernet reads inputs up to 2.6x wide: 24 -> 64 channels
    assert head.cls_convs[0][-1].in_channels == 64
    wide = _feats([64, 248, 168, 80, 80, 40])
    with torch.no_grad():
        cls, reg = head(wide)
    assert [c.shape[1] for c in cls] == [r.shape[1] for r in ref[0]]
    assert [r.shape[1] for r in reg] == [r.shape[1] for r in ref[1]]


def test_ssd_neck_knobs_and_widths():
    neck = NetAugSSDNeck(**SSDLITE_NECK, augment_outputs=True)
    knobs = netaug_choices(neck)
    assert len(knobs) == 2 * 4  # hidden and output per extra layer
    assert neck.hidden_choices[0].choices == (32, 56, 80)
    set_max(neck)
    outs = neck(_feats([64, 248], (8, 4)))
    assert [o.size(1) for o in outs] == [64, 248, 168, 80, 80, 40]
    fixed = NetAugSSDNeck(**SSDLITE_NECK)
    set_max(fixed)
    outs = fixed(_feats([64, 248], (8, 4)))
    # inputs pass through; extra layers keep base outputs
    assert [o.size(1) for o in outs] == [64, 248, 64, 32, 32, 16]
    assert len(netaug_choices(fixed)) == 4


@pytest.mark.parametrize('build, match', [
    (lambda: NetAugSSDNeck(**SSD_NECK), 'l2_norm_scale needs fixed-width'),
    (lambda: NetAugSSDNeck(**dict(SSDLITE_NECK, out_channels=(24, 96))),
     'out_channels=.* must start with'),
    (lambda: NetAugSSDNeck(**dict(SSDLITE_NECK, level_strides=(2, 2))),
     '4 extra layers need 4 level_strides'),
    (lambda: NetAugSSDHead(num_classes=3, stacked_convs=1,
                           anchor_generator=SSDLITE_ANCHORS),
     'stacked_convs'),
    (lambda: NetAugSSDHead(num_classes=3, in_width_factors=(0.5, 1.0)),
     'in_width_factors'),
])
def test_ssd_bad_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_stock_ssd_head_can_predict():
    """mmdet 3.3.0's SSDHead.predict needs ``loss_cls`` (mmdet#11780)."""
    head = SSDHead(num_classes=NUM_CLASSES,
                   in_channels=SSDLITE_NECK['out_channels'],
                   anchor_generator=SSDLITE_ANCHORS,
                   test_cfg=ConfigDict(
                       nms_pre=100, score_thr=0.0, min_bbox_size=0,
                       nms=dict(type='nms', iou_threshold=0.45),
                       max_per_img=10)).eval()
    assert head.loss_cls is None
    cls, reg = head(_feats(SSDLITE_NECK['out_channels']))
    metas = [dict(img_shape=(320, 320), scale_factor=(1.0, 1.0))] * 2
    results = head.predict_by_feat(cls, reg, batch_img_metas=metas)
    assert len(results) == 2 and len(results[0].bboxes) == 10
    # a subclass that registers a loss module still sees it
    head.loss_cls = nn.CrossEntropyLoss()
    assert isinstance(head.loss_cls, nn.CrossEntropyLoss)


# ---- whole detector: sampled configurations -------------------------------
@functools.lru_cache(maxsize=None)
def _tiny_ssdlite():
    return sampled_detector('netaug_ssdlite_mbv2.py', TINY_SSD)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_sampled_ssdlite_configs_are_consistent(seed):
    model, quiet, inputs, base = _tiny_ssdlite()
    sample_wide(model, torch.Generator().manual_seed(seed))
    config = current_config(model)
    backbone, neck, head = model.backbone, model.neck, model.bbox_head

    model.train()
    model.zero_grad()
    feats = model.extract_feat(inputs)
    assert [f.size(1) for f in feats] == [
        backbone.stage_choices[4].value, backbone.conv2_choice.value
    ] + [k.value for k in neck.out_choices]
    cls_scores, bbox_preds = head(feats)
    priors = head.num_base_priors
    assert [c.size(1) for c in cls_scores] == [
        p * (NUM_CLASSES + 1) for p in priors
    ]
    assert [b.size(1) for b in bbox_preds] == [p * 4 for p in priors]
    sum(t.square().mean() for t in cls_scores + bbox_preds).backward()
    # a prediction conv's gradient covers exactly its active inputs
    for level, feat in enumerate(feats):
        grad = head.cls_convs[level][-1].weight.grad
        assert torch.all(grad[:, feat.size(1):] == 0)
        assert grad[:, :feat.size(1)].abs().sum() > 0

    model.eval()
    with torch.no_grad():
        outs = model._forward(inputs)
    twin = static_twin(model, lambda m: m._forward(inputs))
    with torch.no_grad():
        assert max_abs_diff(twin._forward(inputs), outs) <= 1e-5

    set_config(quiet, config)
    with torch.no_grad():
        assert max_abs_diff(quiet._forward(inputs), base) <= 1e-5
    set_base(model)


# ---- configs and export ---------------------------------------------------
def _unscoped(node):
    """A config value without the ``_scope_`` marks of mmdet's bases."""
    if isinstance(node, dict):
        return {k: _unscoped(v) for k, v in node.items() if k != '_scope_'}
    if isinstance(node, (list, tuple)):
        return [_unscoped(v) for v in node]
    return node


@pytest.mark.parametrize('netaug, baseline', [
    ('netaug_ssdlite_mbv2.py', 'baseline_ssdlite_mbv2.py'),
    ('netaug_ssdlite_mbv2_voc.py', 'baseline_ssdlite_mbv2_voc.py'),
])
def test_ssdlite_configs_differ_from_baseline_only_by_netaug(
        netaug, baseline):
    cfg, base = load_cfg(netaug), load_cfg(baseline)
    stock, names = export_config(cfg)
    assert set(names) == {
        'NetAugMobileNetV2', 'NetAugSSDNeck', 'NetAugSSDHead',
        'NetAugTrainLoop', 'NetAugHook'
    }
    for key in ('model', 'train_cfg', 'custom_hooks', 'train_dataloader',
                'val_dataloader', 'val_evaluator', 'param_scheduler',
                'optim_wrapper'):
        assert _unscoped(stock[key]) == _unscoped(base[key]), key
    assert 'custom_imports' not in stock
    # the stock SSDLite backbone settings reach the NetAug backbone
    assert cfg.model.backbone.out_indices == (4, 7)
    assert cfg.model.backbone.norm_cfg == BN
    assert cfg.model.backbone.init_cfg.type == 'TruncNormal'


def test_voc_configs_use_voc0712_and_20_classes():
    cfg = load_cfg('netaug_ssdlite_mbv2_voc.py')
    train = cfg.train_dataloader.dataset
    assert train.type == 'RepeatDataset'
    parts = train.dataset.datasets
    assert [p.type for p in parts] == ['VOCDataset'] * 2
    assert [p.ann_file for p in parts] == [
        'VOC2007/ImageSets/Main/trainval.txt',
        'VOC2012/ImageSets/Main/trainval.txt'
    ]
    assert cfg.test_dataloader.dataset.ann_file == \
        'VOC2007/ImageSets/Main/test.txt'
    assert cfg.val_evaluator.type == cfg.test_evaluator.type == 'VOCMetric'
    assert cfg.model.bbox_head.num_classes == 20
    model = build_detector(cfg)
    priors = model.bbox_head.num_base_priors
    assert model.bbox_head.cls_convs[0][-1].out_channels == priors[0] * 21


def test_ssdlite_export_loads_strictly_into_stock(tmp_path):
    cfg = load_cfg('netaug_ssdlite_mbv2.py', TINY_SSD)
    model = build_detector(cfg)
    randomise_bn(model)
    ckpt = tmp_path / 'supernet.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    result = export(cfg, str(ckpt), str(tmp_path / 'out'))
    stock = load_exported(result, model)
    baseline = build_detector(load_cfg('baseline_ssdlite_mbv2.py', TINY_SSD))
    assert n_params(stock) == result['params'] == n_params(baseline)


# ---- a short NetAug training run ------------------------------------------
def tiny_ssdlite_cfg(data_root, work_dir) -> Config:
    """netaug_ssdlite_mbv2.py, x0.35, on 8 generated 96 px images."""
    cfg = load_cfg('netaug_ssdlite_mbv2.py', TINY_SSD)
    root = str(data_root) + '/'
    metainfo = dict(classes=SHAPES_CLASSES)
    resize = dict(type='Resize', scale=(96, 96), keep_ratio=False)
    train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True), resize,
        dict(type='PackDetInputs')
    ]
    test_pipeline = [
        dict(type='LoadImageFromFile'), resize,
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='PackDetInputs',
             meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                        'scale_factor'))
    ]

    def loader(split, pipeline, shuffle):
        return dict(
            batch_size=4,
            num_workers=0,
            persistent_workers=False,
            sampler=dict(type='DefaultSampler', shuffle=shuffle),
            dataset=dict(
                type='CocoDataset',
                data_root=root,
                metainfo=metainfo,
                ann_file=f'annotations/{split}.json',
                data_prefix=dict(img=f'{split}/'),
                test_mode=not shuffle,
                pipeline=pipeline))

    cfg.train_dataloader = loader('train', train_pipeline, True)
    cfg.val_dataloader = loader('val', test_pipeline, False)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.val_evaluator = dict(type='CocoMetric', metric='bbox',
                             ann_file=root + 'annotations/val.json')
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.param_scheduler = []
    cfg.optim_wrapper.optimizer.update(lr=0.002, weight_decay=0.0)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 1
    cfg.env_cfg.cudnn_benchmark = False
    cfg.randomness = dict(seed=123)
    cfg.work_dir = str(work_dir)
    return cfg


def test_netaug_training_of_ssdlite(tmp_path):
    data_root = shapes_data(tmp_path / 'shapes', num_train=8)
    runner = Runner.from_cfg(tiny_ssdlite_cfg(data_root, tmp_path / 'work'))
    model = unwrap(runner.model)
    regions = wide_only_regions(model, ('neck', 'bbox_head'))
    params = dict(model.named_parameters())
    before = {k: params[k].detach().clone() for k in regions}
    runner.train()

    hub = runner.message_hub
    aug = hub.get_scalar('train/aug_loss').data[0]
    assert len(aug) == 2 and all(torch.isfinite(torch.tensor(aug)))
    assert 'train/loss_cls' in hub.log_scalars
    assert 'val/coco/bbox_mAP' in hub.log_scalars  # validated (predict)
    assert max(hub.get_scalar('train/width_factor').data[0]) > 1.0
    # the wide pass trained channels that only the wide networks have
    moved = moved_regions(model, regions, before)
    assert any(k.startswith('neck.extra_layers') for k in moved)
    assert any(k.startswith('bbox_head.') for k in moved)
    assert all(k.index == 0 for k in netaug_choices(model))
    exported = hub.get_info('netaug_export')
    assert exported['max_abs_diff'] <= 1e-5
    text = open(exported['config']).read()
    assert "type='SSDNeck'" in text and "type='SSDHead'" in text
