#!/usr/bin/env bash
# On the GPU machine (no Snakemake or jsonschema there): install the wheels carried in .whl/, then run gpu_run.py.
#   bash models/make/gpu_run.sh --out "$OUT/check" --check        (then, on the warm machine)
#   bash models/make/gpu_run.sh --out "$OUT" --train-s 480
set -euo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1 exec python3 models/make/gpu_run.py "$@"
