"""The set-up installs Fashion-MNIST (Debian's dataset-fashion-mnist) where it
can, and never fails for it: without apt-get, or when apt-get fails, it
prints one line saying what to do. apt-get is a stand-in script on PATH that
records its calls (the real one would change this machine)."""
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SCRIPT = osp.join(ROOT, 'tools', 'install_fashion_mnist.sh')
FILE = 'train-images-idx3-ubyte.gz'

# records each call; 'install' succeeds only when $APT_WORKS is set, and
# then puts the files where the package would
FAKE_APT = '''#!/bin/sh
echo "$*" >> "$APT_LOG"
case "$*" in
  *install*) [ -n "$APT_WORKS" ] || exit 100
             mkdir -p "$FASHION_MNIST_DIR" && touch "$FASHION_MNIST_DIR/%s" ;;
esac
exit 0
''' % FILE


def run(tmp_path, path, apt_works=False, script=SCRIPT, extra_env=None):
    env = dict(os.environ, PATH=path, APT_LOG=str(tmp_path / 'apt.log'),
               FASHION_MNIST_DIR=str(tmp_path / 'fashion-mnist'))
    if apt_works:
        env['APT_WORKS'] = '1'
    env.update(extra_env or {})
    return subprocess.run(['/bin/bash', script], capture_output=True,
                          text=True, env=env, cwd=ROOT)


def apt_calls(tmp_path):
    log = tmp_path / 'apt.log'
    return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def fake_apt(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'apt-get').write_text(FAKE_APT)
    (bin_dir / 'apt-get').chmod(0o755)
    return f'{bin_dir}:/usr/bin:/bin'


def assert_hint(proc, reason):
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert reason in lines[-1]
    assert "sudo apt-get install dataset-fashion-mnist" in lines[-1]
    assert 'data_root' in lines[-1] and 'four IDX files' in lines[-1]


def test_files_present_returns_at_once(tmp_path, fake_apt):
    (tmp_path / 'fashion-mnist').mkdir()
    (tmp_path / 'fashion-mnist' / FILE).touch()
    proc = run(tmp_path, fake_apt)
    assert proc.returncode == 0 and proc.stdout == '' and proc.stderr == ''
    assert apt_calls(tmp_path) == []


def test_without_apt_get_one_line_and_success(tmp_path):
    empty = tmp_path / 'empty_bin'
    empty.mkdir()
    assert_hint(run(tmp_path, str(empty)), 'no apt-get')


@pytest.mark.skipif(os.geteuid() != 0, reason='installs only as root')
def test_installs_without_update_when_install_works(tmp_path, fake_apt):
    proc = run(tmp_path, fake_apt, apt_works=True)
    assert proc.returncode == 0, proc.stderr
    calls = apt_calls(tmp_path)
    assert len(calls) == 1 and 'install' in calls[0]
    assert 'dataset-fashion-mnist' in calls[0]
    assert (tmp_path / 'fashion-mnist' / FILE).exists()


@pytest.mark.skipif(os.geteuid() != 0, reason='installs only as root')
def test_failed_install_updates_retries_then_hints(tmp_path, fake_apt):
    proc = run(tmp_path, fake_apt)
    calls = apt_calls(tmp_path)
    assert len(calls) == 3, calls
    assert 'install' in calls[0] and 'dataset-fashion-mnist' in calls[0]
    assert calls[1].split()[0] == 'update' and calls[2] == calls[0]
    assert_hint(proc, 'apt-get install dataset-fashion-mnist failed')


def test_set_up_does_not_fail_for_it(tmp_path, fake_apt):
    """install_deps.sh, on its fast path (everything installed), still
    runs the data step and succeeds when it fails."""
    check = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'check_env.py'), '--quiet'])
    if check.returncode != 0 or not osp.exists(
            osp.join(ROOT, 'mmnetaug', '.mim')):
        pytest.skip('not on the fast path: install_deps.sh would install')
    proc = run(tmp_path, fake_apt,
               script=osp.join(ROOT, 'tools', 'install_deps.sh'),
               extra_env={'PYTHON': sys.executable})
    if os.geteuid() == 0:
        assert_hint(proc, 'apt-get install dataset-fashion-mnist failed')
    else:
        assert_hint(proc, 'not root')
