"""Benchmark input: the first SCMs of a test split, for timing ``python -m activa predict`` on them.

    python benchmarks/bench_predict.py --data results/data/gauss8/test.samples.parquet --scms 750 \
        --out /tmp/bench/gauss8_750.samples.parquet

writes the slice (every regime of the first ``--scms`` SCMs, the file's metadata kept) and prints the predict
command to time on it, e.g. with farm-bench against another checkout's (benchmarks/results/cpu_predict_*.md).
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from activa.data.format import read_samples, write_samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a samples file (e.g. a family's test split)")
    parser.add_argument("--scms", type=int, required=True, help="how many of its SCMs to keep (the first ones)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", default="models/v2/gauss8.msgpack")
    parser.add_argument("--family", default="gauss8")
    args = parser.parse_args()
    data = read_samples(args.data)
    if not 1 <= args.scms <= len(data.scm):
        parser.error(f"--scms: expected 1..{len(data.scm)} (the SCMs of {args.data}), got {args.scms}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_samples(args.out, data.select_scms(slice(args.scms)), data.meta)
    print(shlex.join(["python", "-m", "activa", "predict", "--config", "config/config.yaml", "--no-progress",
                      "--method", "activa", "--model", args.model, "--family", args.family, "--data", str(args.out),
                      "--out", f"/tmp/bench/{args.family}_predictions.parquet"]))


if __name__ == "__main__":
    main()
