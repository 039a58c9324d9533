"""The model zoo (metafiles, model-index.yml) lists every shipped config,
with the MACs and parameters its deployed detector really has."""
import glob
import os.path as osp

import yaml
from mmengine.config import Config

from mmnetaug.utils.complexity import deployed_complexity

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_zoo():
    index = yaml.safe_load(open(osp.join(ROOT, 'model-index.yml')))
    models = {}
    for meta in index['Import']:
        assert osp.isfile(osp.join(ROOT, meta)), meta
        data = yaml.safe_load(open(osp.join(ROOT, meta)))
        folder = osp.dirname(meta)
        assert {c['README'] for c in data['Collections']} == \
            {f'{folder}/README.md'}
        for model in data['Models']:
            assert model['Config'] not in models, 'listed twice'
            assert osp.dirname(model['Config']) == folder
            assert model['Name'] == osp.splitext(
                osp.basename(model['Config']))[0]
            models[model['Config']] = model
    return models


def test_every_config_is_in_the_zoo_once():
    models = load_zoo()
    shipped = {
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                           recursive=True)
        if '_base_' not in osp.relpath(p, ROOT).split(osp.sep)
    }
    assert shipped == set(models), (
        'run python tools/misc/gen_model_zoo.py: '
        f'missing {sorted(shipped - set(models))}, '
        f'stale {sorted(set(models) - shipped)}')
    for name in models:
        readme = open(osp.join(ROOT, osp.dirname(name), 'README.md')).read()
        assert f'({osp.basename(name)})' in readme, name


def test_zoo_complexity_is_the_deployed_detectors():
    models = load_zoo()
    counts = []
    for name in ('configs/procedural/baseline_yolo_mbv2_shapes.py',
                 'configs/procedural/netaug_yolo_mbv2_shapes.py'):
        info = deployed_complexity(Config.fromfile(osp.join(ROOT, name)))
        meta = models[name]['Metadata']
        assert (meta['MACs'], meta['Parameters']) == \
            (info['macs'], info['params'])
        counts.append((info['macs'], info['params']))
    # the NetAug config deploys its baseline twin
    assert counts[0] == counts[1]
    assert 40e6 < counts[0][0] < 60e6  # 50.0M MACs at 96 px


def test_metafiles_do_not_break_mmnetaug_inheritance(tmp_path):
    """mmengine reads every metafile when resolving 'mmnetaug::' bases."""
    import mmnetaug  # noqa: F401  (adds mmnetaug to mmengine's table)
    cfg_file = tmp_path / 'user_cfg.py'
    cfg_file.write_text(
        "_base_ = 'mmnetaug::procedural/netaug_yolo_mbv2_shapes.py'\n")
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.model.backbone.type == 'mmnetaug.NetAugMobileNetV2'


def test_get_flops_tool_prints_the_deployed_complexity():
    import subprocess
    import sys
    proc = subprocess.run([
        sys.executable, 'tools/analysis_tools/get_flops.py',
        'configs/procedural/netaug_yolo_mbv2_shapes.py', '--shape', '96', '96'
    ], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'Deployed: exported stock twin' in proc.stdout
    assert 'MACs: 0.050 G' in proc.stdout
    assert 'Params: 1.033 M' in proc.stdout
