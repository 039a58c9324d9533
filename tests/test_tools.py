"""tools/train.py and tools/test.py behave as mmdet 3.3.0's: same flags,
``--show-dir`` / ``--out`` / ``--tta`` on a tiny trained and exported
model (real runs, in-process through ``main(argv)``)."""
import glob
import importlib.util
import os.path as osp
import sys
from argparse import Namespace

import mmcv
import pytest
from mmengine.config import Config
from mmengine.fileio import load

import mmdet
from helpers import shapes_data, tiny_cfg

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MMDET_TOOLS = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools')
# after one iteration every score is below the stock thresholds
LOW_THRESHOLDS = ['model.test_cfg.score_thr=0', 'model.test_cfg.conf_thr=0',
                  'model.test_cfg.max_per_img=5']


def _module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tool(name):
    return _module(osp.join(ROOT, 'tools', f'{name}.py'), f'_tools_{name}')


@pytest.mark.parametrize('name, argv', [
    ('test', ['c.py', 'w.pth']),
    ('train', ['c.py']),
])
def test_tools_take_mmdets_flags(name, argv, monkeypatch):
    """Our parsers give the arguments mmdet 3.3.0's own tools give."""
    path = osp.join(MMDET_TOOLS, f'{name}.py')
    if not osp.exists(path):
        pytest.skip('this mmdet install ships no .mim/tools')
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setattr(sys, 'argv', [path] + argv)
    theirs = vars(_module(path, f'_mmdet_tools_{name}').parse_args())
    ours = vars(_tool(name).parse_args(argv))
    assert ours == theirs


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """One NetAug iteration on 4 generated images via tools/train.py; the
    NetAugHook exports the base detector at the end."""
    tmp = tmp_path_factory.mktemp('tools')
    data_root = shapes_data(tmp / 'shapes', num_train=4)
    cfg = tiny_cfg(data_root, tmp / 'train', epochs=1)
    cfg_path = str(tmp / 'tiny_netaug.py')
    cfg.dump(cfg_path)
    runner = _tool('train').main([cfg_path, '--work-dir', str(tmp / 'train')])
    export = runner.message_hub.get_info('netaug_export')
    return dict(tmp=tmp, config=cfg_path,
                checkpoint=str(tmp / 'train' / 'epoch_1.pth'),
                exported_config=export['config'],
                exported_checkpoint=export['checkpoint'])


def _check_predictions(pkl, num_images=4):
    results = load(pkl)
    assert len(results) == num_images
    for result in results:
        pred = result['pred_instances']
        assert pred['bboxes'].shape[1] == 4
        assert len(pred['bboxes']) == len(pred['scores']) == len(
            pred['labels'])
        assert 'gt_instances' not in result  # DumpDetResults drops them
    assert sum(len(r['pred_instances']['bboxes']) for r in results) > 0


def test_show_dir_and_out_on_the_exported_model(trained):
    tmp = trained['tmp']
    pkl = str(tmp / 'exported.pkl')
    metrics = _tool('test').main([
        trained['exported_config'], trained['exported_checkpoint'],
        '--work-dir', str(tmp / 'test'), '--show-dir', 'painted', '--out',
        pkl, '--cfg-options', *LOW_THRESHOLDS
    ])
    assert 'coco/bbox_mAP' in metrics
    _check_predictions(pkl)
    # mmdet's DetVisualizationHook: work_dir/<timestamp>/<show-dir>/<image>
    painted = sorted(glob.glob(str(tmp / 'test' / '*' / 'painted' / '*')))
    val_images = sorted(glob.glob(str(tmp / 'shapes' / 'val' / '*')))
    assert [osp.basename(p) for p in painted] == \
        [osp.basename(p) for p in val_images]
    for path in painted:
        image = mmcv.imread(path)
        assert image is not None and image.ndim == 3


def test_tta_on_the_netaug_checkpoint(trained):
    tmp = trained['tmp']
    pkl = str(tmp / 'tta.pkl')
    with pytest.warns(UserWarning, match='tta_pipeline'):
        _tool('test').main([
            trained['config'], trained['checkpoint'], '--tta', '--work-dir',
            str(tmp / 'tta'), '--out', pkl, '--cfg-options', *LOW_THRESHOLDS,
            # BN re-estimation before testing runs the detector inside
            # DetTTAModel (with its own data preprocessor)
            'custom_hooks.0.bn_policy=recalibrate',
            'custom_hooks.0.recalibrate_images=4'
        ])
    _check_predictions(pkl)


def _args(**kwargs):
    args = dict(config=None, checkpoint='w.pth', work_dir=None, out=None,
                show=False, show_dir=None, wait_time=2, cfg_options=None,
                launcher='none', tta=False, local_rank=0)
    args.update(kwargs)
    return Namespace(**args)


def test_show_flags_switch_on_mmdets_visualization_hook(tmp_path):
    cfg = tiny_cfg(tmp_path, tmp_path / 'w')
    path = str(tmp_path / 'c.py')
    cfg.dump(path)
    test = _tool('test')
    vis = test.build_cfg(
        _args(config=path, show=True, show_dir='vis',
              wait_time=0.5)).default_hooks.visualization
    assert vis.type == 'DetVisualizationHook'
    assert (vis.draw, vis.show, vis.wait_time, vis.test_out_dir) == \
        (True, True, 0.5, 'vis')
    assert 'enable' not in vis
    del cfg.default_hooks['visualization']
    cfg.dump(path)
    with pytest.raises(RuntimeError, match='VisualizationHook'):
        test.build_cfg(_args(config=path, show_dir='vis'))
    with pytest.raises(ValueError, match='--out'):
        test.build_cfg(_args(config=path, out='preds.json'))


def test_tta_wraps_the_model_and_names_the_missing_field(tmp_path):
    cfg = tiny_cfg(tmp_path, tmp_path / 'w')
    path = str(tmp_path / 'c.py')
    cfg.dump(path)
    test = _tool('test')
    with pytest.warns(UserWarning):
        tta = test.build_cfg(_args(config=path, tta=True))
    assert tta.model.type == 'DetTTAModel'
    assert tta.model.module.backbone.type == 'mmnetaug.NetAugMobileNetV2'
    last = tta.test_dataloader.dataset.pipeline[-1]
    assert last.type == 'TestTimeAug'
    assert [t.prob for t in last.transforms[0]] == [1.0, 0.0]
    # a config's own tta_model / tta_pipeline are used as they are
    cfg.tta_model = dict(type='DetTTAModel', tta_cfg=dict(
        nms=dict(type='nms', iou_threshold=0.6), max_per_img=50))
    cfg.tta_pipeline = cfg.test_dataloader.dataset.pipeline
    cfg.dump(path)
    own = test.build_cfg(_args(config=path, tta=True))
    assert own.model.tta_cfg.max_per_img == 50
    assert own.test_dataloader.dataset.pipeline == cfg.tta_pipeline
    # no tta_pipeline and a test pipeline mmdet's default cannot extend
    cfg = tiny_cfg(tmp_path, tmp_path / 'w')
    cfg.test_dataloader.dataset.pipeline = [dict(type='LoadImageFromFile')]
    cfg.dump(path)
    with pytest.raises(ValueError, match='cfg.tta_pipeline'):
        test.build_cfg(_args(config=path, tta=True))


def test_tta_loads_the_images_fashion_configs_draw_in_memory():
    """--tta on configs/fashion/: every TTA pipeline loads the dataset's
    arrays (not files) and packs 'instances', from which CocoMetric builds
    the ground truth (no ann_file); a derived default keeps them too."""
    test = _tool('test')
    for path in sorted(glob.glob(osp.join(ROOT, 'configs/fashion/*.py'))):
        cfg = test.build_cfg(_args(config=path, tta=True))
        pipeline = cfg.test_dataloader.dataset.pipeline
        assert pipeline[0].type == 'LoadImageFromNDArray', path
        last = pipeline[-1]
        assert last.type == 'TestTimeAug', path
        pack = last.transforms[-1][0]
        assert {'instances', 'flip', 'flip_direction'} <= set(
            pack.meta_keys), path
