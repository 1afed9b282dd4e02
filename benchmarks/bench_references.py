"""Benchmark: the reference methods' speed, and DoWhy's gcm against our oracle_graph on the same SCMs.

    python benchmarks/bench_references.py [--dowhy-scms 20] [--repeats 3]

1. no_effect, oracle_graph and truth_resample on all 24,000 test queries of Gauss 8 at paper scale (3,000
   SCMs x 8 targets, N = 30, simulated in memory): the best of ``--repeats`` wall times each (target < 30 s).
2. dowhy.gcm with linear mechanisms (dowhy_gcm) and auto-assigned ones at quality good (dowhy_gcm_auto), one
   process, on ``--dowhy-scms`` test SCMs of Gauss 2, Beta 2, Gauss 8 and Beta 8: seconds per SCM after one
   warm-up SCM, and how far the interventional means of the non-target variables lie from the closed-form
   means, next to oracle_graph's on the same SCMs and the sampling noise of a mean of N samples
   (truth_resample's distance to the ground truth).
Prints Markdown.
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
from activa.data.format import SCMTable  # noqa: E402
from activa.data.scm import LinearSCMs, Regimes, interventional_moments, seed_sequence  # noqa: E402
from activa.data.simulate import simulate_split  # noqa: E402
from activa.eval import references  # noqa: E402


def split(config: dict, family: str, n_scm: int | None = None):
    if n_scm is not None:
        config["families"][family]["splits"]["test"] = n_scm
    linear, truth = simulate_split(config, family, "test", progress=False)
    scms = SCMTable(linear.adjacency.astype(np.uint8), linear.weights, linear.noise_params,
                    {"noise_family": linear.noise_family})
    return scms, truth


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def closed_form(scms: SCMTable, truth) -> np.ndarray:
    r = truth.interventional
    linear = LinearSCMs(scms.adjacency.astype(bool), scms.weights, scms.meta["noise_family"], scms.noise_params)
    regimes = Regimes(truth.target[r], truth.value_index[r], truth.value[r].astype(np.float64), ())
    return interventional_moments(linear, regimes, 0.0)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dowhy-scms", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    config = load_config([ROOT / "config/config.yaml"])
    scms, truth = split(config, "gauss8")
    spec = config["families"]["gauss8"]
    n_queries = len(truth.scm) * len(truth.interventional)
    print(f"## Reference methods on Gauss 8 ({len(truth.scm):,} test SCMs, {n_queries:,} queries, N = "
          f"{truth.samples.shape[2]})\n\n| method | best of {args.repeats} (s) |\n|---|---:|")
    rng = np.random.default_rng(0)
    for name, fn in (("no_effect", lambda: references.no_effect(truth)),
                     ("oracle_graph", lambda: references.oracle_graph(truth, scms, rng, "gaussian")),
                     ("truth_resample", lambda: references.truth_resample(truth, scms, spec, seed_sequence(0, "b")))):
        print(f"| {name} | {best_time(fn, args.repeats):.2f} |")

    print(f"\n## dowhy.gcm against oracle_graph ({args.dowhy_scms} test SCMs per family, one process): linear "
          "mechanisms (dowhy_gcm) and auto-assigned at quality good (dowhy_gcm_auto)\n")
    print("Mean |predicted mean - closed form| over the non-targets, and seconds per SCM.\n")
    print("| family | DoWhy linear | s / SCM | DoWhy auto | s / SCM | oracle | truth resample |\n"
          "|---|---:|---:|---:|---:|---:|---:|")
    for family in ("gauss2", "beta2", "gauss8", "beta8"):
        config = load_config([ROOT / "config/config.yaml"])
        scms, truth = split(config, family, args.dowhy_scms + 1)
        seed = seed_sequence(0, "bench_dowhy", family)
        references.dowhy_gcm(truth.select_scms(np.array([0])), scms, "good", seed, progress=False)  # imports
        subset = np.arange(1, args.dowhy_scms + 1)
        mu = closed_form(scms, truth)[subset]
        r = truth.interventional
        non_target = np.broadcast_to(np.arange(mu.shape[-1])[None, None, :] != truth.target[r][None, :, None],
                                     mu.shape)
        cells = []
        for mechanisms in ("linear", "good"):
            start = time.perf_counter()
            pred = references.dowhy_gcm(truth.select_scms(subset), scms, mechanisms, seed, progress=False)
            per_scm = (time.perf_counter() - start) / len(subset)
            cells += [f"{np.abs(pred.mean(axis=2) - mu)[non_target].mean():.3f}", f"{per_scm:.2f}"]
        oracle = references.oracle_graph(truth, scms, np.random.default_rng(0), references.residual_kind(scms))
        resample = references.truth_resample(truth, scms, config["families"][family], seed_sequence(0, "b", family))
        o = oracle.samples[subset].mean(axis=2, dtype=np.float64)
        s = resample.samples[subset].mean(axis=2, dtype=np.float64)
        print(f"| {family} | {' | '.join(cells)} | {np.abs(o - mu)[non_target].mean():.3f} | "
              f"{np.abs(s - mu)[non_target].mean():.3f} |")

if __name__ == "__main__":
    main()
