"""The pretraining classifier: TinyClassifier, FashionItemsDataset,
Top1Accuracy, KD, export, and the hand-off to detection backbones."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.models.backbones import MobileNetV2
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from helpers import ROOT, rect_items, write_fashion_root
from mmnetaug.datasets import FashionItemsDataset
from mmnetaug.evaluation import Top1Accuracy
from mmnetaug.export import export, load_supernet_checkpoint
from mmnetaug.models import NetAugMobileNetV2, TinyClassifier
from mmnetaug.space import netaug_choices, sample_wide, set_base

CLS = osp.join(ROOT, 'configs', 'fashion_cls')


@pytest.fixture
def items_root(tmp_path):
    """Two classes a tiny network tells apart at once: tall rectangles
    (class 0) and wide ones (class 1); the test split has both too."""
    train = rect_items([0, 1] * 16, [22, 8] * 16, [8, 22] * 16)
    test = rect_items([1, 0] * 4, [8, 22] * 4, [22, 8] * 4)
    return write_fashion_root(str(tmp_path / 'fashion'), train, test)


def _cfg(name, data_root, work_dir, epochs=2):
    """A shipped classification config on the tiny items, few iterations."""
    cfg = Config.fromfile(osp.join(CLS, name))
    for loader in ('train_dataloader', 'val_dataloader',
                   'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
        cfg[loader].batch_size = 16
    cfg.model.num_classes = 2
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    # the shipped cosine, over these epochs (the file's ends at its own
    # max_epochs): at a constant lr the last epoch's weights swing between
    # 50% and 100% on a fresh machine's floating point
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True,
                                T_max=epochs, eta_min=0.0)]
    cfg.optim_wrapper.optimizer.lr = 0.02
    cfg.default_hooks.checkpoint.interval = epochs
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    cfg.log_level = 'WARNING'
    cfg.randomness = dict(seed=0)
    return cfg


def _netaug_classifier(**kwargs):
    return TinyClassifier(
        backbone=dict(type='mmnetaug.NetAugMobileNetV2', widen_factor=0.35,
                      out_indices=(7, ), augment_outputs=True),
        num_classes=10, **kwargs)


def _randomise(model):
    """Non-trivial weights and BN statistics everywhere (the supernet's
    wide channels too), in place."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.dtype.is_floating_point:
                noise = torch.rand(t.shape, generator=g)
                t.copy_(noise + 0.5 if 'running_var' in name else
                        (noise - 0.5) * 0.4)
    return model.eval()


# ---- dataset ---------------------------------------------------------------
def test_items_are_drawn_from_seed_and_index(items_root):
    ds = FashionItemsDataset(data_root=items_root, img_size=32)
    a, b = ds[3], ds[3]
    assert a['inputs'].shape == (3, 32, 32) and a['inputs'].dtype == \
        torch.uint8
    assert torch.equal(a['inputs'], b['inputs'])
    assert a['data_samples'] == 1  # item 3 of the train split
    # a later epoch (FreshImagesSampler: index + len) redraws the same item
    later = ds[3 + len(ds)]
    assert later['data_samples'] == a['data_samples']
    assert not all(torch.equal(ds[i]['inputs'], ds[i + len(ds)]['inputs'])
                   for i in range(8))
    test = FashionItemsDataset(data_root=items_root, test_mode=True)
    assert len(test) == 8 and test[0]['data_samples'] == 1
    # validation is centred, not shifted: the item's 8 px wide bar sits
    # in the middle of the 32 px image
    cols = (test[0]['inputs'][0] > 0).any(0).nonzero().flatten()
    assert cols.min() == 2 + 3 and cols.max() == 2 + 3 + 21


def test_pasted_items_differ_from_plain(items_root):
    ds = FashionItemsDataset(mode='pasted', data_root=items_root,
                             img_size=48, min_size=20, max_size=40)
    img = ds[0]['inputs']
    assert img.shape == (3, 48, 48)
    assert (img > 0).float().mean() > 0.9  # a background everywhere


@pytest.mark.parametrize('kwargs, field', [
    (dict(mode='tiled'), 'mode'),
    (dict(item_size=40, img_size=32), 'item_size'),
    (dict(mode='pasted', min_size=30, max_size=20), 'min_size'),
    (dict(split='val'), 'split'),
])
def test_bad_dataset_settings_name_the_field(items_root, kwargs, field):
    with pytest.raises(ValueError, match=field):
        FashionItemsDataset(data_root=items_root, **kwargs)


def test_missing_data_root_names_it(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match='FashionItemsDataset.*dataset-fashion-mnist'):
        FashionItemsDataset(data_root=str(tmp_path / 'nowhere'))


# ---- metric ----------------------------------------------------------------
def test_top1_accuracy():
    metric = Top1Accuracy()
    metric.process(None, [dict(pred_label=1, gt_label=1),
                          dict(pred_label=0, gt_label=2)])
    metric.process(None, [dict(pred_label=2, gt_label=2),
                          dict(pred_label=2, gt_label=2)])
    assert metric.evaluate(4) == {'accuracy/top1': 75.0}
    with pytest.raises(KeyError, match='pred_label'):
        metric.process(None, [dict(scores=[0.1])])


# ---- model -----------------------------------------------------------------
def test_reference_layout_and_base_width_equal_the_stock_classifier():
    """At base width the NetAug classifier is the stock one: same state
    dict names and base shapes, same logits with the same weights."""
    netaug = _randomise(_netaug_classifier())
    stock = TinyClassifier(
        backbone=dict(type='MobileNetV2', widen_factor=0.35,
                      out_indices=(7, )), num_classes=10).eval()
    assert set(stock.state_dict()) == set(netaug.state_dict()) - {
        k for k in netaug.state_dict() if k.startswith('data_preprocessor')}
    assert stock.fc.in_features == 1280 and netaug.fc.in_features > 1280
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        sliced = {k: v[tuple(slice(0, n) for n in
                             stock.state_dict()[k].shape)]
                  if v.dim() else v
                  for k, v in netaug.state_dict().items()}
        stock.load_state_dict(sliced, strict=True)
        assert torch.allclose(netaug(x), stock(x), atol=1e-5)
        # a sampled wide network computes something else
        sample_wide(netaug, torch.Generator().manual_seed(1))
        assert not torch.allclose(netaug(x), stock(x), atol=1e-3)


def test_loss_predict_and_bad_input():
    model = TinyClassifier(
        backbone=dict(type='MobileNetV2', widen_factor=0.35,
                      out_indices=(7, )), num_classes=3,
        label_smoothing=0.0)
    x, y = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 1])
    losses = model(x, y, mode='loss')
    logits = model(x)
    assert torch.allclose(losses['loss_cls'],
                          torch.nn.functional.cross_entropy(logits, y))
    preds = model(x, y, mode='predict')
    assert [p['gt_label'] for p in preds] == [0, 1, 2, 1]
    assert [p['pred_label'] for p in preds] == logits.argmax(1).tolist()
    with pytest.raises(ValueError, match='num_classes'):
        TinyClassifier(backbone=dict(type='MobileNetV2'), num_classes=0)
    with pytest.raises(ValueError, match='labels'):
        model(x, None, mode='loss')


def test_netaug_training_run_learns_and_exports(items_root, tmp_path):
    """The shipped NetAug config trains with the NetAug loop and hook
    unchanged (loss falls, the tiny task is learnt), and the hook exports
    a stock classifier that equals the supernet at base width."""
    cfg = _cfg('netaug_mbv2_fashion_cls.py', items_root, tmp_path / 'na',
               epochs=30)
    runner = Runner.from_cfg(cfg)
    losses = []
    runner.register_hook(_LossRecorder(losses))
    runner.train()
    assert type(runner.train_loop).__name__ == 'NetAugTrainLoop'
    first, last = np.mean(losses[:4]), np.mean(losses[-4:])
    assert last < 0.8 * first, (first, last)
    assert runner.message_hub.get_scalar(
        'val/accuracy/top1').current() == 100.0
    exported = osp.join(cfg.work_dir, 'export',
                        'netaug_mbv2_fashion_cls.pth')
    stock_cfg = Config.fromfile(exported[:-4] + '.py')
    assert stock_cfg.model.backbone.type == 'MobileNetV2'
    assert 'distill' not in stock_cfg.model


class _LossRecorder(Hook):

    def __init__(self, out):
        self.out = out

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.out.append(float(outputs['loss_cls'].detach()))


# ---- KD --------------------------------------------------------------------
@pytest.fixture
def teacher(items_root, tmp_path):
    """A trained x1.0 teacher (its config and checkpoint) on the items."""
    cfg = _cfg('teacher_mbv2_x1.0_fashion_cls.py', items_root,
               tmp_path / 'teacher', epochs=1)
    Runner.from_cfg(cfg).train()
    config = osp.join(cfg.work_dir, 'teacher_mbv2_x1.0_fashion_cls.py')
    return config, osp.join(cfg.work_dir, 'epoch_1.pth')


def _student(teacher, netaug, **distill):
    return TinyClassifier(
        backbone=dict(type='mmnetaug.NetAugMobileNetV2' if netaug else
                      'MobileNetV2', widen_factor=0.35, out_indices=(7, ),
                      **(dict(augment_outputs=True) if netaug else {})),
        num_classes=2,
        distill=dict(config=teacher[0], checkpoint=teacher[1], **distill))


def test_teacher_is_frozen_and_outside_the_state_dict(teacher):
    student = _student(teacher, netaug=False)
    assert not any(k.startswith('teacher') for k in student.state_dict())
    names = {n for n, _ in student.named_parameters()}
    assert not any(n.startswith('teacher') for n in names)
    student.train()
    assert not student.teacher.model.training
    assert not any(p.requires_grad
                   for p in student.teacher.model.parameters())


def test_kd_loss_is_the_tempered_kl_to_the_teacher(teacher):
    student = _student(teacher, netaug=False, temperature=2.0, weight=0.5)
    x, y = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 1, 0])
    losses = student(x, y, mode='loss')
    with torch.no_grad():
        t = torch.softmax(student.teacher.model(x) / 2.0, 1)
    s = torch.log_softmax(student(x) / 2.0, 1)
    expected = 0.5 * 4.0 * (t * (t.log() - s)).sum(1).mean()
    assert torch.allclose(losses['loss_kd'], expected, atol=1e-5)
    # the teacher the checkpoint holds, not a fresh one
    ckpt = torch.load(teacher[1], map_location='cpu', weights_only=False)
    key = 'fc.weight'
    assert torch.equal(student.teacher.model.state_dict()[key],
                       ckpt['state_dict'][key])


@pytest.mark.parametrize('wide', [False, True])
def test_kd_in_the_netaug_step_base_pass_only(teacher, wide):
    """One teacher forward per iteration; its loss on the base pass, and
    on the wide pass only with ``wide=True``."""
    from mmengine.optim import OptimWrapper

    from mmnetaug.engine import netaug_train_step
    student = _student(teacher, netaug=True, wide=wide)
    calls, kd_seen = [], []
    student.teacher.model.backbone.register_forward_hook(
        lambda *a: calls.append(1))
    loss = student.loss

    def spy(inputs, data_samples):
        out = loss(inputs, data_samples)
        kd_seen.append('loss_kd' in out)
        return out

    student.loss = spy
    optim = OptimWrapper(torch.optim.SGD(student.parameters(), lr=0.01))
    batch = dict(inputs=torch.randint(0, 255, (4, 3, 32, 32),
                                      dtype=torch.uint8),
                 data_samples=torch.tensor([0, 1, 0, 1]))
    netaug_train_step(student, batch, optim,
                      torch.Generator().manual_seed(3))
    assert kd_seen == [True, wide]
    assert len(calls) == 1


def test_missing_teacher_checkpoint_names_the_field(teacher):
    with pytest.raises(FileNotFoundError, match='distill.checkpoint'):
        _student((teacher[0], teacher[1] + '.missing'), netaug=False)


def test_kd_config_trains(teacher, items_root, tmp_path):
    cfg = _cfg('kd_netaug_mbv2_fashion_cls.py', items_root,
               tmp_path / 'kd', epochs=1)
    cfg.model.distill.config, cfg.model.distill.checkpoint = teacher
    cfg.custom_hooks[0].export = True
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.message_hub.get_scalar('train/loss_kd').current() > 0
    stock = Config.fromfile(osp.join(cfg.work_dir, 'export',
                                     'kd_netaug_mbv2_fashion_cls.py'))
    assert 'distill' not in stock.model


# ---- hand-off --------------------------------------------------------------
def _mirror_config(detection, classification):
    """Put the classifier's backbone at the detection backbone's widths:
    the knobs both have follow the detector, the classifier's extra ones
    (its output stages, augmented only there) stay at base."""
    for det, cls in zip(detection.modules(), classification.modules()):
        get = getattr(det, 'netaug_choices', None)
        if get is None:
            continue
        for a, b in zip(get(), cls.netaug_choices()):
            b.index = a.index if len(a.choices) == len(b.choices) else 0


def test_pretrained_supernet_hands_off_at_every_width(tmp_path):
    """A NetAug-pretrained classifier (the whole supernet, outputs
    augmented) initialises a detection NetAug backbone (outputs at base
    width for a stock neck) through mmengine's Pretrained init: equal at
    base width and in a sampled wide network. Its export initialises the
    stock baseline twin alike."""
    classifier = _randomise(_netaug_classifier())
    path = str(tmp_path / 'supernet.pth')
    torch.save(dict(state_dict=classifier.state_dict()), path)
    init = dict(type='Pretrained', checkpoint=path, prefix='backbone.')
    detection = NetAugMobileNetV2(widen_factor=0.35, out_indices=(2, 4, 6),
                                  init_cfg=init)
    detection.init_weights()
    detection.eval()
    cls_backbone = copy.deepcopy(classifier.backbone).eval()
    cls_backbone.out_indices = (2, 4, 6)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        for seed in (None, 0, 1):
            if seed is not None:
                sample_wide(detection, torch.Generator().manual_seed(seed))
            _mirror_config(detection, cls_backbone)
            for a, b in zip(detection(x), cls_backbone(x)):
                assert torch.equal(a, b)
        assert any(k.index for k in netaug_choices(detection))

    # the baseline twin: from the classifier's export (its base slice)
    cfg = Config.fromfile(osp.join(CLS, 'netaug_mbv2_fashion_cls.py'))
    out = export(cfg, None, str(tmp_path / 'export'), model=classifier)
    init = dict(type='Pretrained', checkpoint=out['checkpoint'],
                prefix='backbone.')
    stock = MobileNetV2(widen_factor=0.35, out_indices=(2, 4, 6),
                        init_cfg=init)
    stock.init_weights()
    stock.eval()
    set_base(cls_backbone)
    with torch.no_grad():
        for a, b in zip(stock(x), cls_backbone(x)):
            assert torch.allclose(a, b, atol=1e-5)


def test_supernet_of_another_width_is_still_refused(tmp_path):
    other = TinyClassifier(
        backbone=dict(type='mmnetaug.NetAugMobileNetV2', widen_factor=0.5,
                      out_indices=(7, ), augment_outputs=True),
        num_classes=10)
    path = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict=other.state_dict()), path)
    detection = NetAugMobileNetV2(
        widen_factor=0.35, out_indices=(2, 4, 6),
        init_cfg=dict(type='Pretrained', checkpoint=path,
                      prefix='backbone.'))
    with pytest.raises(ValueError, match='neither the supernet'):
        detection.init_weights()


def test_export_refuses_a_baseline_classifier_checkpoint(tmp_path):
    stock = TinyClassifier(
        backbone=dict(type='MobileNetV2', widen_factor=0.35,
                      out_indices=(7, )), num_classes=10)
    path = str(tmp_path / 'stock.pth')
    torch.save(dict(state_dict=stock.state_dict()), path)
    model = _netaug_classifier()
    with pytest.raises(ValueError, match='not a NetAug supernet'):
        load_supernet_checkpoint(model, path)
