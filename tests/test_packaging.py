"""Other projects inherit ``mmnetaug::folder/config.py`` configs after the
README's editable install and after a plain ``pip install .``: each is done
into a fresh venv from a copy of the checkout, and a user's config in another
folder is read there."""
import os.path as osp
import shutil
import site
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

CHECK = r'''
import sys
import mmnetaug
from mmengine.config import Config
cfg = Config.fromfile(sys.argv[1])
print(mmnetaug.__file__)
print(cfg.model.backbone.type, cfg.model.backbone.widen_factor)
'''


def copy_checkout(dst):
    """Tracked and untracked-but-not-ignored files: what a clone holds."""
    files = subprocess.run(
        ['git', 'ls-files', '--cached', '--others', '--exclude-standard'],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if osp.isfile(osp.join(ROOT, name)):
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(osp.join(ROOT, name), dst / name)


def nested_venv(path):
    """A venv that sees the packages of *this* interpreter (torch, mmcv,
    mmdet, pip, setuptools) behind its own.

    ``--system-site-packages`` would not do: run from inside a venv it
    exposes the base interpreter's site-packages (there: an old setuptools
    without ``bdist_wheel``), not the active venv's. A ``.pth`` file listing
    this interpreter's site-packages works from a venv, a conda env and the
    system interpreter alike; the folders go after the venv's own, so what is
    installed into the venv wins.
    """
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip',
                    str(path)], check=True)
    python = str(path / 'bin' / 'python')
    own = subprocess.run(
        [python, '-c', 'import site; print(site.getsitepackages()[0])'],
        capture_output=True, text=True, check=True).stdout.strip()
    ours = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and osp.isdir(site.getusersitepackages()):
        ours.append(site.getusersitepackages())
    with open(osp.join(own, '_running_interpreter.pth'), 'w') as f:
        f.write('\n'.join(ours) + '\n')
    return python


def test_nested_venv_sees_this_interpreters_packages(tmp_path):
    import setuptools
    python = nested_venv(tmp_path / 'venv')
    proc = subprocess.run(
        [python, '-c', 'import sys, setuptools, torch; '
         'print(setuptools.__file__); print(torch.__file__); '
         'print(sys.prefix)'], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import torch
    assert proc.stdout.split() == [
        setuptools.__file__, torch.__file__, str(tmp_path / 'venv')]


@pytest.mark.parametrize('editable', [True, False],
                         ids=['pip-install-e', 'pip-install'])
def test_installed_package_resolves_mmnetaug_configs(tmp_path, editable):
    src = tmp_path / 'src'
    copy_checkout(src)
    venv = tmp_path / 'venv'
    # torch/mmcv/mmdet, pip and setuptools come from this interpreter (no
    # registry access needed)
    python = nested_venv(venv)
    proc = subprocess.run(
        [python, '-m', 'pip', 'install', '-q', '--no-deps',
         '--no-build-isolation', '--no-index'] + (['-e'] if editable else [])
        + [str(src)], capture_output=True, text=True, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]

    user = tmp_path / 'my_project'
    user.mkdir()
    # mmengine 0.10.7 wants 'package::folder/config.py'
    (user / 'my_cfg.py').write_text(
        "_base_ = 'mmnetaug::demo/netaug_yolo_mbv2_demo.py'\n"
        "model = dict(backbone=dict(widen_factor=0.5))\n")
    proc = subprocess.run([python, '-c', CHECK, 'my_cfg.py'],
                          capture_output=True, text=True, cwd=str(user))
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported_from, backbone = proc.stdout.strip().splitlines()[-2:]
    assert imported_from.startswith(str(src if editable else venv))
    assert backbone == 'mmnetaug.NetAugMobileNetV2 0.5'
