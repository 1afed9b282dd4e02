"""Benchmark: simulate the four linear families at paper scale (train + test) and write them to Parquet.

    python benchmarks/bench_simulate.py [--config config/config.yaml] [--out /tmp/activa-bench]

Target (issue "pipeline foundation"): under 2 minutes on 2 cores for all four families.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from activa import config as cfg, stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    config = cfg.load_config(args.config or [Path("config/config.yaml")])
    out = args.out or Path(tempfile.mkdtemp(prefix="activa-bench-"))
    total = 0.0
    for family, spec in config["families"].items():
        if spec["generator"] != "linear":
            continue  # SERGIO: benchmarks/bench_sergio.py
        for split in ("train", "test"):
            start = time.perf_counter()
            stages.simulate(config, family, split, out / f"{family}.{split}.samples.parquet",
                            out / f"{family}.{split}.scms.parquet", progress=False)
            elapsed = time.perf_counter() - start
            total += elapsed
            size = (out / f"{family}.{split}.samples.parquet").stat().st_size / 1e6
            print(f"{family:8s} {split:5s} {spec['splits'][split]:6d} SCMs  {elapsed:6.1f} s  {size:7.1f} MB")
    print(f"total {total:.1f} s (target < 120 s)")


if __name__ == "__main__":
    main()
