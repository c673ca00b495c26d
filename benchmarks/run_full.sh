#!/usr/bin/env bash
# The whole GPU run (configs/full.yaml), in resumable pieces: every notebook 00-07 under --config
# full, each writing its results/NN_<step>.full.json (artdl.core.results_path names them so; the
# committed CPU results/NN_<step>.json stay as they are).
#
#   benchmarks/run_full.sh              # all pieces; a piece whose results file a GPU wrote is skipped
#   benchmarks/run_full.sh 02 06        # only these pieces (again skipping finished ones)
#   FORCE=1 benchmarks/run_full.sh 06   # rerun a piece although it is done
#   benchmarks/run_full.sh 02 -- classify.epochs=12   # overrides after --, passed to every piece
#
# Piece "weights" comes first: it downloads what the run needs (the VQGAN checkpoint, FID's
# Inception, CLIP ViT-B-32) before any GPU time is spent, so a dead mirror stops the run at once.
# Each piece is one `python -m artdl run --only NN`, so a killed or failed piece costs only itself:
# run the script again and it starts at the first piece that is not done. Timings go to
# data/run_logs/full_<piece>.log; the runner also keeps data/run_logs/timings.json.
# DRY_RUN=1 prints the commands instead of running them.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
CONFIG="${CONFIG:-full}"
PIECES=()
OVERRIDES=()
while (($#)); do
  if [[ "$1" == "--" ]]; then shift; OVERRIDES=("$@"); break; fi
  PIECES+=("$1"); shift
done
((${#PIECES[@]})) || PIECES=(weights 00 01 02 03 04 05 06 07)

declare -A STEP=([00]=00_data [01]=01_crawl [02]=02_classify [03]=03_autoencode [04]=04_retrieve
                 [05]=05_archive [06]=06_gan [07]=07_vqgan_clip)
mkdir -p data/run_logs

export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"
run() { if [[ -n "${DRY_RUN:-}" ]]; then echo "would run: $*"; else "$@"; fi; }

if [[ -z "${DRY_RUN:-}" && " ${OVERRIDES[*]:-} " != *" device=cpu "* ]]; then
  "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" || {
    echo "No usable GPU: torch.cuda.is_available() is false. Run nvidia-smi and check the driver's CUDA" >&2
    echo "version against torch's; or add the override device=cpu after -- (the full run then takes days)." >&2
    exit 1
  }
fi

# Download and check every weights file of the run, and say where each came from.
WEIGHTS_PY='
import sys

from artdl.core import load_config
from artdl.gan import configured_feature_space
from artdl.models import clip_from_config
from artdl.vqgan_clip import ensure_checkpoint

cfg = load_config(sys.argv[1], sys.argv[2:])
v = cfg.vqgan_clip
print("VQGAN:", *ensure_checkpoint(v.checkpoint, v.checkpoints[v.checkpoint], download_missing=True))
print("FID:", configured_feature_space(cfg.gan.eval).weights)
for section in ("retrieve", "vqgan_clip"):
    print(f"{section}.clip:", clip_from_config(cfg[section].clip).description)
'

# A piece is done when its results file exists and was written on a GPU (an earlier CPU try of
# full, e.g. results/02_classify.full.json in the repository, does not count).
done_on_gpu() {
  [[ -f "$1" ]] && "$PYTHON" -c 'import json, sys
sys.exit(json.load(open(sys.argv[1]))["provenance"]["hardware"].startswith("CPU"))' "$1"
}

for piece in "${PIECES[@]}"; do
  started=$(date +%s)
  if [[ "$piece" == weights ]]; then
    echo "== weights"
    run "$PYTHON" -c "$WEIGHTS_PY" "$CONFIG" "${OVERRIDES[@]}" 2>&1 | tee data/run_logs/full_weights.log
    continue
  fi
  step="${STEP[$piece]:?unknown piece $piece: use weights or 00-07}"
  result="results/${step}.${CONFIG}.json"
  if [[ -z "${FORCE:-}" ]] && done_on_gpu "$result"; then
    echo "== $piece: $result was written on a GPU, skipped (FORCE=1 to rerun)"
    continue
  fi
  echo "== $piece: python -m artdl run --config $CONFIG --only $piece ${OVERRIDES[*]:-}"
  run "$PYTHON" -m artdl run --config "$CONFIG" --only "$piece" "${OVERRIDES[@]}" 2>&1 \
    | tee "data/run_logs/full_${piece}.log"
  [[ -n "${DRY_RUN:-}" ]] && continue
  echo "== $piece: $(( $(date +%s) - started )) s" | tee -a "data/run_logs/full_${piece}.log"
  [[ -f "$result" ]] || echo "warning: $piece ran but wrote no $result" >&2
done
