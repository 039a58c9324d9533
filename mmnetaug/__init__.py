"""mmnetaug: NetAug (Network Augmentation) for tiny MMDetection detectors.

Importing the package registers its modules, loops and hooks.
"""
# other projects inherit 'mmnetaug::demo/...' configs once mmnetaug is
# imported, after an editable or a regular install; see config_scope.py
from . import config_scope

config_scope.register()

# torch >= 2.6 loads checkpoints with weights_only=True: allow-list what
# mmengine's checkpoints hold (and nothing else); see checkpoint_globals.py
from . import checkpoint_globals  # noqa: E402

checkpoint_globals.register()

# a checkpoint torch cannot load stops with one line naming the file and
# what is wrong; see checkpoint_loading.py
from . import checkpoint_loading  # noqa: E402

checkpoint_loading.register()

from .version import __version__  # noqa: E402
from . import ops  # noqa: E402,F401
from . import models  # noqa: E402,F401
from . import engine  # noqa: E402,F401
from . import datasets  # noqa: E402,F401
from . import evaluation  # noqa: E402,F401

__all__ = ['__version__']
