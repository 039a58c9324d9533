"""Check that mmnetaug's dependencies are installed as pinned.

Exit 0 when everything is in place (used by install_deps.sh to return at
once), 1 with the reasons otherwise.
"""
import importlib
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PINS = {'mmengine': '0.10.7', 'mmcv': '2.1.0', 'mmdet': '3.3.0'}


def problems():
    found = []
    for name in ('torch', 'pycocotools', 'pytest', 'hypothesis'):
        try:
            importlib.import_module(name)
        except Exception as e:  # noqa: BLE001
            found.append(f'{name}: {e}')
    for name, version in PINS.items():
        try:
            mod = importlib.import_module(name)
            if mod.__version__ != version:
                found.append(f'{name} {mod.__version__} != {version}')
        except Exception as e:  # noqa: BLE001
            found.append(f'{name}: {e}')
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            import pkg_resources  # noqa: F401  (mmengine 0.10.7 needs it)
    except Exception as e:  # noqa: BLE001
        found.append(f'pkg_resources (setuptools<82): {e}')
    try:
        from mmcv.ops import batched_nms  # noqa: F401
    except Exception as e:  # noqa: BLE001
        found.append(f'mmcv ops (compiled): {e}')
    try:
        mod = importlib.import_module('mmnetaug')
        here = osp.realpath(osp.join(ROOT, 'mmnetaug'))
        if osp.realpath(osp.dirname(mod.__file__)) != here:
            found.append(f'mmnetaug installed from {mod.__file__}, not {here}')
    except Exception as e:  # noqa: BLE001
        found.append(f'mmnetaug: {e}')
    return found


if __name__ == '__main__':
    sys.path = [p for p in sys.path if osp.realpath(p or '.') != ROOT]
    issues = problems()
    if issues:
        if '--quiet' not in sys.argv:
            print('missing or wrong:\n  ' + '\n  '.join(issues))
        sys.exit(1)
    if '--quiet' not in sys.argv:
        print('environment OK')
