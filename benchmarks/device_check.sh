#!/usr/bin/env bash
# The short GPU check for a lent device: the GPU numbers that no CPU run can give, measured with the
# project's own networks, in pieces that together fit well inside 10 minutes on one GPU.
# (benchmarks/run_full.sh is the whole GPU run; it needs the hub's wikiart_full and the notebook
# stack, which a machine without internet and with a 64 MiB carry cannot have.)
#
#   benchmarks/device_check.sh                 # all pieces: env speed gan ddp
#   benchmarks/device_check.sh speed ddp       # only these
#
# Pieces, each under its own `timeout` (a stuck piece costs only itself), in this order:
#   env    nvidia-smi and torch's view of the GPU: name, native bf16, cuDNN                (seconds)
#   speed  bench_classifier.py: ResNet-50 (full's 02) and Lite0 training steps at 224 px, fp32 /
#          bf16 / bf16+channels_last, batch 128: the measured GPU step rate and peak memory that
#          bench_loader_per_gpu.py and the README's GPU table estimate today          (about 1 min)
#   gan    bench_gan.py: WGAN-GP generator steps/s and peak memory at 64 and 128 px (06 under full)
#                                                                                        (about 1 min)
#   ddp    bench_distributed.py on 1 process over NCCL, ResNet-50 at 224 px and WGAN-GP at 128 px
#          (one GPU: there is no 2-process row)                                         (about 1 min)
#
# Everything goes under OUT (the device tool's $OUT, else data/device_check): logs/<piece>.log and
# results/*.json, the benchmark tables, which ARTDL_BENCH_RESULTS keeps apart from the committed CPU
# tables in benchmarks/results/ (copy them there, or merge their rows, once they are read).
# The pieces import artdl's core, models and gan: on a machine with PyTorch, timm, pandas and PyYAML
# but without omegaconf (the lent H200's image), put omegaconf's wheel in .whl/ (README of the device
# tool: `pip download --no-deps --only-binary=:all: --python-version 3.12 -d .whl omegaconf==2.4.0`)
# and this script installs it into /tmp/site first.
# DRY_RUN=1 prints the commands instead of running them.
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
OUT="${OUT:-data/device_check}"
PIECES=("$@")
((${#PIECES[@]})) || PIECES=(env speed gan ddp)

mkdir -p "$OUT/logs" "$OUT/results"
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"
export ARTDL_BENCH_RESULTS="$OUT/results"
if [[ -z "${DRY_RUN:-}" ]] && compgen -G ".whl/*.whl" >/dev/null; then
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || { echo "could not install the wheels in .whl/" >&2; exit 1; }
  export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi

declare -A LIMIT=([env]=30 [speed]=180 [gan]=120 [ddp]=150)
declare -A COMMAND=(
  [env]="nvidia-smi; $PYTHON -c 'import torch; c = torch.cuda; print(torch.__version__, c.is_available() and c.get_device_name(0), \"bf16 native:\", c.is_available() and c.is_bf16_supported(including_emulation=False), \"cudnn:\", torch.backends.cudnn.version())'"
  [speed]="$PYTHON benchmarks/bench_classifier.py --backbones resnet50 efficientnet_lite0 --variants fp32 bf16 bf16+channels_last --batch 128 --steps 30 --repeats 2"
  [gan]="$PYTHON benchmarks/bench_gan.py --resolutions 64 128 --steps 20"
  [ddp]="$PYTHON benchmarks/bench_distributed.py --procs 1 --batch 64 --steps 20 --repeats 2 --image-size 224 --backbone resnet50 --gan-resolution 128"
)

failed=()
for piece in "${PIECES[@]}"; do
  if [[ -z "${COMMAND[$piece]:-}" ]]; then
    echo "unknown piece '$piece': use env, speed, gan or ddp" >&2
    exit 2
  fi
  if [[ -n "${DRY_RUN:-}" ]]; then
    echo "would run ($piece, at most ${LIMIT[$piece]} s): ${COMMAND[$piece]}"
    continue
  fi
  started=$(date +%s)
  timeout --kill-after=10 "${LIMIT[$piece]}" bash -c "${COMMAND[$piece]}" >"$OUT/logs/$piece.log" 2>&1
  code=$?
  echo "$piece: exit $code in $(($(date +%s) - started)) s (log: $OUT/logs/$piece.log)"
  ((code == 0)) || failed+=("$piece")
done
if ((${#failed[@]})); then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
