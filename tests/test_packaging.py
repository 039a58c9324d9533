"""A regular install ships configs in .mim, so other projects can inherit
``mmnetaug::folder/config.py`` configs (after ``import mmnetaug``)."""
import os
import os.path as osp
import shutil
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

CHECK = r'''
import sys
import mmnetaug
from mmengine.config import Config
cfg = Config.fromfile(sys.argv[1])
print(mmnetaug.__file__)
print(cfg.model.backbone.type, cfg.model.backbone.widen_factor)
'''


def test_installed_package_resolves_mmnetaug_configs(tmp_path):
    src = tmp_path / 'src'
    files = subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    for name in files:
        dst = src / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(osp.join(ROOT, name), dst)
    site = tmp_path / 'site'
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
         '--no-build-isolation', '--no-index', '--target', str(site),
         str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(site / 'mmnetaug' / '.mim' / 'configs' /
                      'netaug_yolo_mbv2.py')
    user_cfg = tmp_path / 'my_project_cfg.py'
    # mmengine 0.10.7 wants 'package::folder/config.py'
    user_cfg.write_text(
        "_base_ = 'mmnetaug::demo/netaug_yolo_mbv2_demo.py'\n"
        "model = dict(backbone=dict(widen_factor=0.5))\n")
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = subprocess.run([sys.executable, '-c', CHECK, str(user_cfg)],
                          capture_output=True, text=True, env=env,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[-2].startswith(str(site))
    assert lines[-1] == 'mmnetaug.NetAugMobileNetV2 0.5'
