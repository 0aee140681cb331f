#!/usr/bin/env bash
# Rebuilds the reference model pair (training/README.md). Installs Debian's PyTorch and
# OpenBLAS (OpenMP build) when missing; PyPI is not used. Arguments go to the pipeline,
# e.g. `--smoke --out training/out/smoke`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=/usr/bin/python3
if ! "$PY" -c "import torch" >/dev/null 2>&1 || ! ls /usr/lib/x86_64-linux-gnu/openblas-openmp >/dev/null 2>&1; then
  echo "[train.sh] installing python3-torch and libopenblas0-openmp with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends python3-torch libopenblas0-openmp >/dev/null
fi
# `--speed-bench` runs relay_train.speed_bench (npm run bench:train) instead of the pipeline.
MODULE=relay_train.pipeline
if [ "${1:-}" = "--speed-bench" ]; then MODULE=relay_train.speed_bench; shift; fi
# Relative paths in the arguments stay relative to the caller's directory.
PYTHONPATH="$ROOT/training${PYTHONPATH:+:$PYTHONPATH}" exec "$PY" -m "$MODULE" "$@"
