"""Install mmnetaug; ship configs and tools in ``mmnetaug/.mim`` like mmyolo.

``.mim/configs`` is what makes ``_base_ = 'mmnetaug::netaug_yolo_mbv2.py'``
resolve in other projects. Editable installs link the folders, wheels copy
them.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def add_mim_extension():
    editable = any(cmd in sys.argv
                   for cmd in ('develop', 'editable_wheel', 'egg_info',
                               'dist_info'))
    packaged = any(cmd in sys.argv
                   for cmd in ('sdist', 'bdist_wheel', 'build', 'build_py'))
    if not (editable or packaged):
        return
    mim_path = osp.join(HERE, 'mmnetaug', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(HERE, name)
        dst = osp.join(mim_path, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if editable:
            os.symlink(osp.relpath(src, mim_path), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copy(src, dst)


def version():
    scope = {}
    with open(osp.join(HERE, 'mmnetaug', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmnetaug',
        version=version(),
        description='NetAug (Network Augmentation) for tiny MMDetection '
        'detectors',
        long_description=open(osp.join(HERE, 'README.md')).read()
        if osp.exists(osp.join(HERE, 'README.md')) else '',
        long_description_content_type='text/markdown',
        packages=find_packages(exclude=('configs', 'tools', 'tests',
                                        'benchmarks')),
        include_package_data=True,
        package_data={
            'mmnetaug':
            ['.mim/configs/**/*', '.mim/tools/**/*', '.mim/model-index.yml']
        },
        license='Apache License 2.0',
        python_requires='>=3.8',
        install_requires=[
            'mmengine==0.10.7', 'mmcv==2.1.0', 'mmdet==3.3.0', 'pycocotools'
        ],
        zip_safe=False)
