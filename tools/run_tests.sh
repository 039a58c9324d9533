#!/usr/bin/env bash
# Install what is missing (idempotent, ~1 s when all is there), then run the
# test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
exec "${PYTHON:-python3}" -m pytest tests -q "$@"
