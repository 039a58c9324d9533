#!/usr/bin/env bash
# Install what is missing (idempotent), generate the shapes dataset, train
# the NetAug demo, evaluate, export and print a summary. Extra arguments go
# to tools/demo.py (e.g. --baseline to also train the baseline twin).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
exec "${PYTHON:-python3}" tools/demo.py "$@"
