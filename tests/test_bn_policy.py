"""freeze_wide: every BN layer keeps the running statistics of the base pass."""
import copy

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from torch.nn.modules.batchnorm import _BatchNorm

from mmnetaug.datasets import ProceduralShapesDataset
from mmnetaug.engine.netaug_step import iteration_generator, netaug_train_step
from mmnetaug.export import build_detector
from mmnetaug.ops import DynamicBatchNorm2d
from mmnetaug.space import set_base
from detector_helpers import _one_thread, load_cfg  # noqa: F401

NECK_HEAD = {  # backbone + neck + head widths augmented: dynamic BN only
    'model.backbone.augment_outputs': True,
    'model.neck.type': 'mmnetaug.NetAugYOLOV3Neck',
    'model.neck.augment_outputs': True,
    'model.bbox_head.type': 'mmnetaug.NetAugYOLOV3Head',
    'model.bbox_head.augment_head': True,
}


def _batch():
    init_default_scope('mmdet')
    pipeline = [
        dict(type='LoadImageFromNDArray'),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='Resize', scale=(96, 96), keep_ratio=True),
        dict(type='PackDetInputs')
    ]
    classes = load_cfg('procedural/baseline_yolo_mbv2_shapes.py').classes
    data = ProceduralShapesDataset(num_images=4, seed=0, img_size=96,
                                   classes=classes, pipeline=pipeline)
    return pseudo_collate([data[i] for i in range(4)])


def _stats(model) -> dict:
    out = {}
    for name, m in model.named_modules():
        if isinstance(m, _BatchNorm):
            out[name] = (m.running_mean.clone(), m.running_var.clone(),
                         m.num_batches_tracked.clone())
    return out


def _after_netaug_and_base_steps(overrides, freeze):
    model = build_detector(
        load_cfg('procedural/netaug_yolo_mbv2_shapes.py', overrides))
    model.init_weights()
    model.train()
    base_only = copy.deepcopy(model)
    batch = _batch()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0))
    # a wide pass is sampled (seed 0, iteration 1 draws wide widths)
    _, config = netaug_train_step(model, batch, optim,
                                  iteration_generator(0, 1),
                                  freeze_wide_bn=freeze)
    assert any(config), 'the test needs a wide configuration'
    set_base(base_only)
    data = base_only.data_preprocessor(batch, True)
    base_only._run_forward(data, mode='loss')
    return _stats(model), _stats(base_only), model


@pytest.mark.parametrize('overrides', [{}, NECK_HEAD],
                         ids=['stock neck and head', 'dynamic neck and head'])
def test_freeze_wide_keeps_base_pass_statistics(overrides):
    netaug, base_only, model = _after_netaug_and_base_steps(overrides, True)
    assert netaug.keys() == base_only.keys()
    for name, tensors in netaug.items():
        for a, b in zip(tensors, base_only[name]):
            assert torch.equal(a, b), name
    kinds = {type(m) for m in model.modules() if isinstance(m, _BatchNorm)}
    if not overrides:  # the case that was broken: stock BN behind NetAug
        assert any(not issubclass(k, DynamicBatchNorm2d) for k in kinds)


def test_without_freeze_the_wide_pass_moves_stock_statistics():
    """The comparison above can fail: without the freeze it does."""
    netaug, base_only, _ = _after_netaug_and_base_steps({}, False)
    moved = [n for n, t in netaug.items()
             if not torch.equal(t[0], base_only[n][0])]
    assert any(n.startswith('neck') for n in moved)
    assert any(n.startswith('bbox_head') for n in moved)
