"""Benchmark: what each reference method costs per test SCM, per family (docs/benchmarks.md).

    python benchmarks/bench_discovery.py [--scms 50] [--families gauss2 beta2 ...] [--data results/data]

Reads each family's test split from a run (``--data``, e.g. the quick run's), predicts the first ``--scms`` SCMs with
every method that sees only the observational samples (the discover-then-estimate methods, no effect) and the
oracle graph, in this process (imports done beforehand, so no start-up cost), and prints wall-clock and CPU
milliseconds per SCM (CPU time, this process's, is the steadier figure on a shared machine) and the projected
time of the whole test split at paper scale (config/config.yaml) from the wall-clock. One run each: the methods
differ by orders of magnitude, and the figures are for choosing subsets, not for fine comparisons.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from activa.config import load_config  # noqa: E402
from activa.data.format import read_samples, read_scms  # noqa: E402
from activa.data.scm import seed_sequence  # noqa: E402
from activa.eval.methods import registry  # noqa: E402
from activa.eval.references import Inputs  # noqa: E402

METHODS = ("no_effect", "eqvar", "pc_mec", "ges_mec", "lingam", "oracle_graph")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scms", type=int, default=50)
    parser.add_argument("--data", type=Path, default=ROOT / "results" / "data")
    parser.add_argument("--families", nargs="+", default=["gauss2", "beta2", "gauss8", "beta8", "sergio", "sergio_ood",
                                                          "v1_gauss2", "v1_gauss8", "v1_sergio"])
    args = parser.parse_args()
    config = load_config([ROOT / "config/config.yaml"])
    methods = registry(config["references"])
    import causallearn.search.ConstraintBased.PC  # noqa: F401  (imports outside the timings)
    import causallearn.search.ScoreBased.GES  # noqa: F401
    import lingam  # noqa: F401

    print(f"| family | d | N | method | ms / SCM (first {args.scms} test SCMs) | CPU ms / SCM "
          "| whole test split at paper scale (s) |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for family in args.families:
        truth = read_samples(args.data / family / "test.samples.parquet")
        scms = read_scms(args.data / family / "test.scms.parquet")
        subset = truth.select_scms(np.arange(min(args.scms, len(truth.scm))))
        paper = config["families"][family]["splits"]["test"]
        for name in METHODS:
            method = methods[name]
            options = config["references"].get(name, {}) if method.options else {}
            inputs = Inputs(subset, scms if method.sees != "observational" else None, config["families"][family],
                            options, seed_sequence(0, "bench", name, family), progress=False)
            start, cpu_start = time.perf_counter(), time.process_time()
            method.load()(inputs)
            per_scm = (time.perf_counter() - start) / len(subset.scm)
            cpu_per_scm = (time.process_time() - cpu_start) / len(subset.scm)
            print(f"| {family} | {truth.samples.shape[-1]} | {truth.samples.shape[2]} | {name} | {1000 * per_scm:.1f} "
                  f"| {1000 * cpu_per_scm:.1f} | {per_scm * paper:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
