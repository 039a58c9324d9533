"""Say which checkpoint is bad, and how, instead of a raw ``torch.load``
traceback.

Why: a truncated download, a file that is not a checkpoint, or one that
torch's safe loading refuses all end, through mmengine 0.10.7, in a
traceback of torch internals ("Unsupported operand 49", "failed finding
central directory") that names no file. Every local checkpoint mmengine
loads (``--resume``, ``load_from``, ``tools/test.py``, export, the
``Pretrained`` init) goes through its ``CheckpointLoader`` scheme for plain
paths; importing mmnetaug registers :func:`load_from_local` there, the same
load with a :class:`CheckpointError` of one line when it fails. Files that
load are untouched, and a missing file keeps mmengine's
``FileNotFoundError``.
"""
import os.path as osp
import pickle
import re
import zipfile

import torch
from mmengine.runner.checkpoint import CheckpointLoader

# what torch.save writes: a zip archive (torch >= 1.6), or the legacy
# format, a protocol-2 pickle of torch's magic number first
ZIP_MAGIC = b'PK\x03\x04'
LEGACY_MAGIC = b'\x80\x02\x8a\x0a'
ALLOW_LIST = 'mmnetaug.checkpoint_globals'


class CheckpointError(ValueError):
    """A checkpoint file that exists but cannot be loaded; the message is
    one line naming the file, what is wrong and what to do."""


def _unsafe_global(exc: BaseException):
    """The ``module.name`` torch's safe loader refused, if that is why."""
    if not isinstance(exc, pickle.UnpicklingError):
        return None
    found = re.search(r'GLOBAL ([\w.]+)', str(exc))
    return found.group(1) if found else None


def diagnose(filename: str, exc: BaseException):
    """What is wrong with ``filename``, given what ``torch.load`` raised;
    None when the file looks sound and the error is not about it."""
    size = osp.getsize(filename)
    with open(filename, 'rb') as f:
        head = f.read(16)
    redo = 'save or download it again, or pick another checkpoint'
    if size == 0:
        return f'checkpoint {filename} is empty (0 bytes): truncated; {redo}'
    if head.startswith(ZIP_MAGIC):
        if not zipfile.is_zipfile(filename):
            return (f'checkpoint {filename} is truncated: the zip archive '
                    f'torch.save writes ends after {size} bytes, without '
                    f'its end-of-archive record; {redo}')
        with zipfile.ZipFile(filename) as archive:
            names = archive.namelist()
        if not any(name.endswith('/data.pkl') for name in names):
            return (f'{filename} is not a checkpoint: a zip archive without '
                    'the data.pkl torch.save writes; give the .pth file '
                    'training wrote')
    elif not head.startswith(LEGACY_MAGIC):
        kind = 'this file is a plain pickle' if head.startswith(
            b'\x80') else f'this file starts with {head[:8]!r}'
        return (f'{filename} is not a checkpoint: torch.save writes a zip '
                f'archive (starting with b\'PK\'), {kind}; give the .pth '
                'file training wrote')
    name = _unsafe_global(exc)
    if name is not None:
        return (f'checkpoint {filename} is refused by torch\'s safe loading '
                f'(weights_only): it holds {name}, which is not on the '
                f'allow-list of {ALLOW_LIST} (only what mmengine\'s '
                'checkpoints hold); if you trust the file, load it with '
                'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1')
    if head.startswith(ZIP_MAGIC):
        with zipfile.ZipFile(filename) as archive:
            bad = archive.testzip()  # the first member failing its CRC
        if bad is not None:
            return (f'checkpoint {filename} is corrupt: {bad} fails its '
                    f'checksum; {redo}')
    elif isinstance(exc, EOFError) or 'truncated' in str(exc):
        return f'checkpoint {filename} is truncated ({size} bytes); {redo}'
    return None  # not the file's fault (a map_location, say): torch's error


def load_from_local(filename, map_location):
    """mmengine's loader for plain paths, with a :class:`CheckpointError`
    naming the file when ``torch.load`` fails on it."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(filename, map_location=map_location)
    except Exception as exc:  # noqa: BLE001  (diagnosed, re-raised)
        message = diagnose(filename, exc)
        if message is None:
            raise
        raise CheckpointError(message) from exc


def register() -> None:
    """Make :func:`load_from_local` mmengine's loader for plain paths."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)


__all__ = ['CheckpointError', 'diagnose', 'load_from_local', 'register']
