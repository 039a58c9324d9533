#!/usr/bin/env bash
# Installs everything mmnetaug needs into the active Python (the activated
# venv or conda env, else python3 on PATH; PYTHON=... picks another),
# idempotently. A torch that is already installed is kept (GPU users keep
# theirs); otherwise the CPU build torch==2.13.0 is installed. mmcv 2.1.0 has
# no wheel on PyPI, so it is compiled from the sdist with ops (~17 min on 2
# cores, once per machine: pip caches the wheel for every later venv). When
# everything is present this script returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# optional data (configs/fashion/), never fails: apt's dataset-fashion-mnist
# where we are root with apt-get, else one line saying what to do
bash tools/install_fashion_mnist.sh || true

# mmnetaug/.mim (configs for 'mmnetaug::' inheritance) is made by the
# install itself: a checkout without it still needs `pip install -e .`
if [ -e mmnetaug/.mim ] && $PY tools/check_env.py --quiet 2>/dev/null; then
  exit 0
fi

pip_install() { $PY -m pip install --disable-pip-version-check "$@"; }
echo "[mmnetaug] setting up in $($PY -c 'import sys; print(sys.prefix)')"

if ! $PY -c "import torch" 2>/dev/null; then
  echo "[mmnetaug] installing torch==${TORCH_VERSION:-2.13.0}"
  pip_install "torch==${TORCH_VERSION:-2.13.0}"
fi
# mmcv 2.1.0's setup.py imports pkg_resources (gone in setuptools>=82) and
# mmengine 0.10.7 resolves 'mmdet::' configs through it too; torch 2.13 asks
# for setuptools>=77.0.3.
pip_install "setuptools>=77.0.3,<82" wheel ninja
pip_install "mmengine==0.10.7"
if ! $PY -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
  echo "[mmnetaug] building mmcv==2.1.0 with ops (first time ~17 min on 2 cores)"
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    pip_install --no-build-isolation "mmcv==2.1.0"
fi
pip_install "mmdet==3.3.0" pycocotools pytest hypothesis
pip_install --no-deps --no-build-isolation -e .
$PY tools/check_env.py
