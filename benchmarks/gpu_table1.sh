#!/usr/bin/env bash
# On the GPU machine (no Snakemake or jsonschema there): install the wheels carried in .whl/, then run gpu_table1.py.
#   bash benchmarks/gpu_table1.sh --out "$OUT" --train-s 400 [--check]
set -euo pipefail; python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1 exec python3 benchmarks/gpu_table1.py "$@"
