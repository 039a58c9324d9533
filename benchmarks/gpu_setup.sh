#!/usr/bin/env bash
# Put the stack on a bare CUDA machine that has torch but no registry
# access, from files carried in the git-ignored folder .gpu/ (the measured
# recipe: about 2 minutes on 16 cores for mmcv's ops).
#
#   bash benchmarks/gpu_setup.sh prepare   # here, with registry access:
#                                          # fills .gpu/ (about 10 MB)
#   source benchmarks/gpu_setup.sh install # there: wheels into /tmp/site,
#                                          # mmcv 2.1.0 ops built in /tmp,
#                                          # PYTHONPATH exported
#
# mmcv is built with CPU ops only (the GPU is hidden while it builds): NMS
# and the other ops then run on CPU tensors only, so evaluation must run on
# the CPU. Set MMCV_CUDA_OPS=1 to try a CUDA build instead (not timed yet).
# The device machine runs Python 3.12 (GPU_PY_VERSION to change it).
# Status: `prepare` is tested here; `install` follows the measured recipe
# (../shared/design/gpu-recipe.md) but has not yet run on a lent GPU.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/.gpu"
PY=${PYTHON:-python3}
GPU_PY_VERSION=${GPU_PY_VERSION:-3.12}
BINARY=(pycocotools==2.0.11 shapely==2.2.0)
PURE=(mmengine==0.10.7 mmdet==3.3.0 addict yapf platformdirs termcolor
      terminaltables setuptools==81.0.0)

prepare() {
  mkdir -p "$DIR/whl" "$DIR/sdist"
  $PY -m pip download -q --no-deps --only-binary=:all: \
    --python-version "$GPU_PY_VERSION" --implementation cp \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux_2_28_x86_64 -d "$DIR/whl" "${BINARY[@]}"
  $PY -m pip download -q --no-deps -d "$DIR/whl" "${PURE[@]}"
  $PY -m pip download -q --no-deps --no-binary=:all: --no-build-isolation \
    -d "$DIR/sdist" mmcv==2.1.0
  du -sh "$DIR"
}

install() {
  local site=/tmp/site
  $PY -m pip install -q --no-index --no-deps --target "$site" \
    "$DIR"/whl/*.whl
  tar -xzf "$DIR"/sdist/mmcv-2.1.0.tar.gz -C /tmp
  local cuda_env=(CUDA_VISIBLE_DEVICES=)
  if [ "${MMCV_CUDA_OPS:-0}" = 1 ]; then
    cuda_env=(FORCE_CUDA=1)
  fi
  (cd /tmp/mmcv-2.1.0 && env "${cuda_env[@]}" MMCV_WITH_OPS=1 \
    MAX_JOBS="$(nproc)" PYTHONPATH="$site" $PY setup.py build_ext \
    --inplace > /tmp/mmcv_build.log 2>&1) \
    || { tail -30 /tmp/mmcv_build.log; return 1; }
  export PYTHONPATH="$site:/tmp/mmcv-2.1.0:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
  $PY -c "import mmcv.ops, mmdet, mmnetaug; print('gpu_setup: ok')"
}

case "${1:-}" in
  prepare) prepare ;;
  install) install ;;
  *) echo "usage: $0 prepare|install" >&2; exit 2 ;;
esac
