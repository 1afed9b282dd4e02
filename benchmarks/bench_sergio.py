"""Benchmark: SERGIO generation (observation + every knockout, 30 cells per condition).

    python benchmarks/bench_sergio.py [--networks resources/grn] [--workers 2]

Prints seconds per simulation for the in-distribution (8 genes) and OOD (11 genes) settings of
config/config.yaml, then the wall time of generating all of them (sergio train + test and sergio_ood
test: 16,800 simulations) to Parquet with ``--workers`` processes. Targets (issue "SERGIO"): at least 100x
faster per simulation than the reference (about 1 s), the whole generation in under 5 minutes on 2 cores.
The network files come from ``python -m activa networks --config config/config.yaml --out-dir DIR``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from stage_command import run_stage  # benchmarks/ is on sys.path when run as a script

from activa import config as cfg
from activa.data import scm, sergio
from activa.data.grn import network_paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--networks", type=Path, default=Path("resources/grn"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--per-sim", type=int, default=512, help="simulations timed per setting (one process)")
    args = parser.parse_args()
    config = cfg.load_config([Path("config/config.yaml")])
    paths = network_paths(args.networks)
    for family in ("sergio", "sergio_ood"):
        spec = config["families"][family]
        start = time.perf_counter()
        sergio.simulate(spec, args.per_sim, scm.seed_sequence(0, "bench", family), paths)
        elapsed = time.perf_counter() - start
        print(f"{family:10s} {spec['n_vars']:2d} genes: {elapsed / args.per_sim * 1e3:6.2f} ms per simulation "
              f"(one process, {args.per_sim} simulations incl. graph extraction)")
    out = Path(tempfile.mkdtemp(prefix="activa-bench-sergio-"))
    start = time.perf_counter()
    n = 0
    for family, split in (("sergio", "train"), ("sergio", "test"), ("sergio_ood", "test")):
        run_stage("simulate", [Path("config/config.yaml")], "--family", family, "--split", split,
                  "--out-samples", out / f"{family}.{split}.samples.parquet",
                  "--out-scms", out / f"{family}.{split}.scms.parquet", "--networks", args.networks,
                  "--workers", args.workers)
        n += config["families"][family]["splits"][split]
    total = time.perf_counter() - start
    print(f"all {n} simulations to Parquet with {args.workers} workers: {total:.1f} s (target < 300 s)")


if __name__ == "__main__":
    main()
