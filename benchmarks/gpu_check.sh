#!/usr/bin/env bash
# GPU check (under 8 minutes on one CUDA GPU once mmcv is built): speed
# ratios on CUDA, AMP skipped-step counts (fp16, bf16) for both twins,
# and a short accuracy run (NetAug vs baseline twin on the procedural task, one seed, the quick
# schedule). Fails loudly when no CUDA GPU is present.
# Uses the installed stack (tools/install_deps.sh); on a bare machine with
# torch only, installs it first from .gpu/ (benchmarks/gpu_setup.sh: run
# `bash benchmarks/gpu_setup.sh prepare` here and carry .gpu/ there).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! $PY -c "import mmcv.ops, mmdet" 2>/dev/null; then
  [ -d .gpu ] || { echo "gpu_check: no mmcv/mmdet and no .gpu/ to install \
them from (bash benchmarks/gpu_setup.sh prepare)"; exit 1; }
  echo "== installing the stack from .gpu/ =="
  source benchmarks/gpu_setup.sh install
fi
$PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else \
'gpu_check: no CUDA GPU visible to torch: refusing to run')"
OUT=${OUT:-work_dirs/gpu_check}
mkdir -p "$OUT"

echo "== speed on CUDA (netaug vs stock, medians of interleaved runs) =="
$PY benchmarks/bench_speed.py --device cuda --batch 24 --reps 20 \
  | tee "$OUT/speed_cuda.txt"

echo "== AMP on CUDA: skipped optimizer steps, baseline twin vs NetAug =="
# 100 iterations each (demo data, no val); --amp adds AmpSkippedStepsHook,
# which logs the steps the dynamic loss scaler skipped (inf/nan gradients)
$PY tools/make_demo_data.py --root "$OUT/shapes" --num-train 800 --num-val 8
for twin in baseline netaug; do
  for dtype in float16 bfloat16; do
    $PY tools/train.py configs/demo/${twin}_yolo_mbv2_demo.py --amp \
      --work-dir "$OUT/amp_${twin}_${dtype}" --cfg-options \
      optim_wrapper.dtype=$dtype \
      train_dataloader.dataset.data_root="$OUT/shapes/" \
      train_cfg.max_epochs=1 val_cfg=None val_dataloader=None \
      val_evaluator=None test_cfg=None test_dataloader=None \
      test_evaluator=None > "$OUT/amp_${twin}_${dtype}.log" 2>&1
    grep -q "AmpOptimWrapper" "$OUT/amp_${twin}_${dtype}.log" \
      || { echo "AMP not used ($twin, $dtype)"; exit 1; }
    echo "$twin $dtype: $(grep -o 'AMP skipped.*' \
      "$OUT/amp_${twin}_${dtype}.log" | tail -1)"
  done
done
grep -q "exported the base detector" "$OUT/amp_netaug_float16.log" \
  || { echo "no export"; exit 1; }
echo "== short accuracy run on CUDA (procedural shapes, seed 0) =="
$PY benchmarks/accuracy.py --studies seeds --seeds 0 \
  --work-dir "$OUT/accuracy" --out "$OUT/accuracy/results.json" \
  2>&1 | tee "$OUT/accuracy.log"
grep -q "NetAug against the three controls" "$OUT/accuracy.log" \
  || { echo "accuracy run incomplete"; exit 1; }
echo "gpu_check: OK"
