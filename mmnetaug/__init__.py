"""mmnetaug: NetAug (Network Augmentation) for tiny MMDetection detectors.

Importing the package registers its modules, loops and hooks.
"""
import os

# torch >= 2.6 loads checkpoints with weights_only=True by default, which
# mmengine 0.10.7 (the pinned release) does not expect: resume and load_from
# fail on its HistoryBuffer and numpy objects. The fix is only on mmengine's
# main branch, so restore the old default unless the user chose otherwise.
os.environ.setdefault('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')

# mmengine 0.10.7 resolves 'pkg::sub/cfg.py' bases only for the packages in
# its MODULE2PACKAGE table; adding ours lets other projects inherit
# 'mmnetaug::demo/...' configs once mmnetaug is imported.
from mmengine.config.utils import MODULE2PACKAGE  # noqa: E402

MODULE2PACKAGE.setdefault('mmnetaug', 'mmnetaug')

from .version import __version__  # noqa: E402
from . import ops  # noqa: E402,F401
from . import models  # noqa: E402,F401
from . import engine  # noqa: E402,F401
from . import datasets  # noqa: E402,F401

__all__ = ['__version__']
