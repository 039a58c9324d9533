"""A checkpoint torch cannot load stops tools/export.py, tools/test.py,
``--resume`` and ``load_from`` with one line that names the file and what is
wrong (truncated, not a checkpoint, refused by safe loading), not with a
``torch.load`` traceback. Real runs, in-process through ``main(argv)``."""
import os
import os.path as osp
import pickle
import struct
import subprocess
import sys
import zipfile

import pytest
import torch
from mmengine.runner.checkpoint import _load_checkpoint

from helpers import load_tool, shapes_data, tiny_cfg
from mmnetaug.checkpoint_loading import CheckpointError

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


class Foreign:
    """An object outside the allow-list, as a foreign checkpoint may hold."""


def _good(path):
    torch.save({'state_dict': {'w': torch.zeros(4096)}, 'meta': {}}, path)
    return path


def make_bad(folder, kind):
    """The checkpoint of ``kind`` and the words its message must hold."""
    path = str(folder / f'{kind}.pth')
    if kind == 'truncated':
        data = open(_good(path), 'rb').read()
        open(path, 'wb').write(data[:len(data) // 2])
        return path, 'is truncated'
    if kind == 'not-a-checkpoint':
        open(path, 'w').write('123 Not Found\n')  # a saved error page
        return path, 'is not a checkpoint'
    torch.save({'state_dict': {}, 'meta': {'hook': Foreign()}}, path)
    return path, (f'refused by torch\'s safe loading (weights_only): it '
                  f'holds {__name__}.Foreign, which is not on the allow-list '
                  'of mmnetaug.checkpoint_globals')


KINDS = ['truncated', 'not-a-checkpoint', 'refused']


def assert_one_line(exc_info, path, words):
    message = str(exc_info.value.code)
    assert message.startswith('error: ') and '\n' not in message
    assert path in message and words in message, message


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """A NetAug config on a 4-image set, dumped where the tools read it."""
    tmp = tmp_path_factory.mktemp('tiny')
    data_root = shapes_data(tmp / 'shapes', num_train=4)
    cfg = tiny_cfg(data_root, tmp / 'w', epochs=1,
                   custom_hooks=[dict(type='mmnetaug.NetAugHook',
                                      export=False)])
    path = str(tmp / 'tiny.py')
    cfg.dump(path)
    return path


@pytest.mark.parametrize('kind', KINDS)
def test_export(tiny, tmp_path, kind):
    path, words = make_bad(tmp_path, kind)
    out = tmp_path / 'export'
    with pytest.raises(SystemExit) as exc_info:
        load_tool('export').main([tiny, path, '--out-dir', str(out)])
    assert_one_line(exc_info, path, words)
    assert not out.exists() or not os.listdir(out)


@pytest.mark.parametrize('kind', KINDS)
def test_test(tiny, tmp_path, kind):
    path, words = make_bad(tmp_path, kind)
    with pytest.raises(SystemExit) as exc_info:
        load_tool('test').main([tiny, path, '--work-dir', str(tmp_path / 'w')])
    assert_one_line(exc_info, path, words)


@pytest.mark.parametrize('kind', KINDS)
def test_train_resume(tiny, tmp_path, kind):
    path, words = make_bad(tmp_path, kind)
    with pytest.raises(SystemExit) as exc_info:
        load_tool('train').main(
            [tiny, '--work-dir', str(tmp_path / 'w'), '--resume', path])
    assert_one_line(exc_info, path, words)
    assert not osp.exists(tmp_path / 'w' / 'epoch_1.pth')


@pytest.mark.parametrize('kind', KINDS)
def test_train_load_from(tiny, tmp_path, kind):
    path, words = make_bad(tmp_path, kind)
    with pytest.raises(SystemExit) as exc_info:
        load_tool('train').main([
            tiny, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
            f'load_from={path}'
        ])
    assert_one_line(exc_info, path, words)
    assert not osp.exists(tmp_path / 'w' / 'epoch_1.pth')


@pytest.mark.filterwarnings('ignore:Detected pickle protocol')
def test_other_damage_is_named(tmp_path):
    """Through mmengine's loader, as every tool and the Pretrained init
    load: each kind of damage gets its own words."""
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    legacy = str(tmp_path / 'legacy.pth')
    torch.save({'w': torch.zeros(64)}, legacy,
               _use_new_zipfile_serialization=False)
    data = open(legacy, 'rb').read()
    open(legacy, 'wb').write(data[:len(data) // 2])
    archive = str(tmp_path / 'archive.pth')
    with zipfile.ZipFile(archive, 'w') as f:
        f.writestr('weights/readme.txt', 'no data.pkl here')
    plain = str(tmp_path / 'plain.pth')
    with open(plain, 'wb') as f:
        pickle.dump({'state_dict': {}}, f, protocol=4)
    corrupt = _good(str(tmp_path / 'corrupt.pth'))
    flip_byte_of_pickle(corrupt)
    cases = [(str(empty), 'is empty (0 bytes): truncated'),
             (legacy, 'is truncated'),
             (archive, 'is not a checkpoint: a zip archive without the '
              'data.pkl'),
             (plain, 'is not a checkpoint: torch.save writes a zip '
              "archive (starting with b'PK'), this file is a plain pickle"),
             (corrupt, 'is corrupt: corrupt/data.pkl fails its checksum')]
    for path, words in cases:
        with pytest.raises(CheckpointError) as exc_info:
            _load_checkpoint(path, map_location='cpu')
        assert path in str(exc_info.value) and words in str(exc_info.value)
    # what loads still loads, and a missing file is mmengine's error
    good = _load_checkpoint(_good(str(tmp_path / 'good.pth')), 'cpu')
    assert good['state_dict']['w'].shape == (4096, )
    with pytest.raises(FileNotFoundError):
        _load_checkpoint(str(tmp_path / 'missing.pth'), 'cpu')


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs no CUDA')
def test_errors_not_about_the_file_stay_torchs(tmp_path):
    good = _good(str(tmp_path / 'good.pth'))
    with pytest.raises(RuntimeError, match='CUDA') as exc_info:
        _load_checkpoint(good, map_location='cuda')
    assert not isinstance(exc_info.value, CheckpointError)


def flip_byte_of_pickle(path):
    """Damage data.pkl inside torch's zip, as a bad disk or copy would."""
    data = bytearray(open(path, 'rb').read())
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist()
                    if i.filename.endswith('/data.pkl'))
    offset = info.header_offset
    name_len, extra_len = struct.unpack('<HH', data[offset + 26:offset + 30])
    data[offset + 30 + name_len + extra_len + 5] ^= 0x55
    open(path, 'wb').write(bytes(data))


def test_the_command_prints_one_line(tiny, tmp_path):
    """What a user sees: one line on stderr, no traceback, exit 1."""
    path, words = make_bad(tmp_path, 'truncated')
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('TORCH_FORCE')}
    proc = subprocess.run([
        sys.executable, osp.join(ROOT, 'tools', 'export.py'), tiny, path,
        '--out-dir', str(tmp_path / 'export')
    ], capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('error: checkpoint ' + path) and words in last
