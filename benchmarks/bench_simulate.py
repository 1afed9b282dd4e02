"""Benchmark: simulate every linear family at paper scale (train + test) and write them to Parquet.

    python benchmarks/bench_simulate.py [--config config/config.yaml] [--out /tmp/activa-bench]

Target (issue "pipeline foundation"): under 2 minutes on 2 cores for all of them. Each split is one
``python -m activa simulate`` command, timed whole (interpreter start included).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from stage_command import run_stage  # benchmarks/ is on sys.path when run as a script

from activa import config as cfg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    configs = args.config or [Path("config/config.yaml")]
    config = cfg.load_config(configs)
    out = args.out or Path(tempfile.mkdtemp(prefix="activa-bench-"))
    total = 0.0
    for family, spec in config["families"].items():
        if spec["generator"] != "linear":
            continue  # SERGIO: benchmarks/bench_sergio.py
        for split in ("train", "test"):
            start = time.perf_counter()
            run_stage("simulate", configs, "--family", family, "--split", split, "--out-samples",
                      out / f"{family}.{split}.samples.parquet", "--out-scms", out / f"{family}.{split}.scms.parquet")
            elapsed = time.perf_counter() - start
            total += elapsed
            size = (out / f"{family}.{split}.samples.parquet").stat().st_size / 1e6
            print(f"{family:8s} {split:5s} {spec['splits'][split]:6d} SCMs  {elapsed:6.1f} s  {size:7.1f} MB")
    print(f"total {total:.1f} s (target < 120 s)")


if __name__ == "__main__":
    main()
