"""Let other projects inherit ``_base_ = 'mmnetaug::folder/config.py'``.

mmengine 0.10.7 resolves ``pkg::`` bases only for the packages in its
``MODULE2PACKAGE`` table, and looks for their ``.mim`` folder next to the
distribution's location. For a PEP 660 editable install (the README's
set-up) that location is site-packages, which holds no ``mmnetaug`` folder,
so the lookup fails. ``register`` adds mmnetaug to the table and answers
mmengine's path lookup for mmnetaug only, with the folder Python imports it
from (the checkout for an editable install, site-packages for a wheel); every
other package is still resolved by mmengine itself.
"""
import os.path as osp

from mmengine.config import config as mmengine_config
from mmengine.config.utils import MODULE2PACKAGE

PACKAGE = 'mmnetaug'
PACKAGE_DIR = osp.dirname(osp.abspath(__file__))


def mim_dir():
    """``mmnetaug/.mim``: configs, tools and model-index.yml, made by
    setup.py (links for an editable install, copies for a wheel)."""
    return osp.join(PACKAGE_DIR, '.mim')


def register():
    """Idempotent: safe to call on every import."""
    MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)
    mmengine_lookup = mmengine_config.get_installed_path
    if getattr(mmengine_lookup, 'mmnetaug_scope', False):
        return

    def get_installed_path(package):
        if package != PACKAGE:
            return mmengine_lookup(package)
        if not osp.isdir(mim_dir()):
            raise FileNotFoundError(
                f'{mim_dir()} is missing, so mmnetaug:: configs cannot be '
                'resolved: install the package (pip install '
                '--no-build-isolation -e . from the checkout) to create it')
        return PACKAGE_DIR

    get_installed_path.mmnetaug_scope = True
    mmengine_config.get_installed_path = get_installed_path
