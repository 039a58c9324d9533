"""Let torch >= 2.6's safe ``torch.load`` read mmengine 0.10.7 checkpoints.

Why: torch 2.6 made ``weights_only=True`` the default of ``torch.load``,
which mmengine 0.10.7 (the pinned release) calls without the argument, so
resume, ``load_from``, ``tools/test.py`` and export fail on the few
non-tensor objects mmengine writes into every checkpoint. Turning the safe
loader off (``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``) would do so for every
file the process loads; instead, importing mmnetaug adds exactly those
objects to torch's allow-list (``torch.serialization.add_safe_globals``) and
anything else is still refused.

What mmengine's checkpoints hold besides tensors and plain containers (found
with ``torch.serialization.get_unsafe_globals_in_checkpoint`` on checkpoints
of short epoch- and iteration-based NetAug runs, SGD and AdamW, with LR
schedulers): the message hub's ``HistoryBuffer`` objects, their numpy arrays
and scalars (``_reconstruct``, ``ndarray``, ``dtype`` and its per-type
classes, ``scalar``), and ``HistoryBuffer.__getstate__``'s table of
statistics methods, which pickle writes as ``getattr(HistoryBuffer,
'mean')``. ``builtins.getattr`` itself is not allowed: a stand-in registered
under that name returns only those methods.
"""
import pickle

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.utils import digit_version


# HistoryBuffer's own statistics methods (mmengine registers these four)
STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_method(owner, name: str):
    """``getattr`` restricted to what mmengine pickles with it: the
    statistics methods of ``HistoryBuffer`` (``min``, ``max``, ...)."""
    if owner is HistoryBuffer and name in STATISTICS:
        return vars(HistoryBuffer)[name]
    raise pickle.UnpicklingError(
        f'weights_only load: getattr({owner!r}, {name!r}) is not one of '
        f'HistoryBuffer\'s statistics methods {STATISTICS}, the only getattr '
        'mmengine checkpoints hold (mmnetaug.checkpoint_globals)')


def _numpy_globals() -> list:
    """numpy's pickle reconstructors under the module paths numpy 1.x
    (``numpy.core``) and 2.x (``numpy._core``) write."""
    multiarray = np.core.multiarray if not hasattr(
        np, '_core') else np._core.multiarray
    entries = [np.ndarray, np.dtype]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries += [(multiarray._reconstruct, f'{module}._reconstruct'),
                    (multiarray.scalar, f'{module}.scalar')]
    # numpy >= 1.25 gives each dtype its class; pickle BUILDs an instance
    # of it. Numbers and booleans only: what logged scalars can be.
    for kind in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                 np.uint16, np.uint32, np.uint64, np.float16, np.float32,
                 np.float64):
        dtype_cls = type(np.dtype(kind))
        if dtype_cls is not np.dtype:
            entries.append(dtype_cls)
    return entries


def safe_globals() -> list:
    """The allow-list entries (objects or ``(object, 'module.name')``)."""
    return [HistoryBuffer, (history_buffer_method, 'builtins.getattr')
            ] + _numpy_globals()


def register() -> bool:
    """Add :func:`safe_globals` to torch's allow-list; False on torch < 2.6
    (its ``torch.load`` defaults to ``weights_only=False``)."""
    if digit_version(torch.__version__) < digit_version('2.6.0'):
        return False
    torch.serialization.add_safe_globals(safe_globals())
    return True
