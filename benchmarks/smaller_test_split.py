"""What a smaller test split would cost Table 1: its cells recomputed on a seeded subset of a finished run's test SCMs.

    python benchmarks/smaller_test_split.py --run DIR --configfile config/quick.yaml --scms gauss8=1000 beta8=1000

For each named Table 1 row, ACTIVA's and the baseline's metrics files of the run (``DIR/results/metrics/``) are cut
to ``n`` test SCMs drawn without replacement, ``--draws`` times (numpy seeds 0, 1, ...), and the row's cells
recomputed exactly as the tables stage does (``activa.report.tables.cell_stats``: mean, bootstrap interval over
SCMs, paired Wilcoxon test against the baseline). A test split of ``n`` SCMs is a sample of the same distribution,
so the draws show what smaller splits would. The draws overlap (they come from one run's SCMs), so they show how
often a mark changes, not an independent replication. Prints, per cell: the value and interval half-width on all
SCMs, their means over the draws, and in how many draws the bold mark (better than the comparator) differs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from activa import config as cfg
from activa.eval.scoring import read_metrics
from activa.report.tables import EFFECT_METRICS, METHODS, METRICS, cell_stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--run", type=Path, required=True, help="the checkout whose run finished")
    parser.add_argument("--configfile", action="append", default=[], help="the run's --configfile files")
    parser.add_argument("--scms", nargs="+", required=True, help="ROW=N: Table 1 row key and test SCMs to keep")
    parser.add_argument("--draws", type=int, default=20, help="subsets drawn per row")
    args = parser.parse_args()
    config = cfg.load_config([args.run / "config/config.yaml", *(args.run / c for c in args.configfile)])
    metrics = [m for m, _, _ in METRICS + EFFECT_METRICS]
    print(f"| row | method | metric | all SCMs | subsets (means of {args.draws}) | bold on all | draws whose bold differs |")
    print("|---|---|---|---:|---:|---|---:|")
    for item in args.scms:
        key, n = item.split("=")
        frames = {m: read_metrics(args.run / "results" / "metrics" / m / f"{key}.parquet")[0] for m, _ in METHODS}
        scms = np.sort(frames["activa"]["scm"].unique())
        full = cell_stats(frames, metrics, config["intervals"], config["seed"], key)
        small = []
        for draw in range(args.draws):
            keep = np.random.default_rng(draw).choice(scms, size=int(n), replace=False)
            subset = {m: f[f["scm"].isin(keep)].reset_index(drop=True) for m, f in frames.items()}
            small.append(cell_stats(subset, metrics, config["intervals"], config["seed"], key))
        half = lambda s, metric: (s[metric + "_hi"] - s[metric + "_lo"]) / 2
        for method, _ in METHODS:
            for metric in metrics:
                a, b = full[method], [s[method] for s in small]
                flips = sum(s[metric + "_better"] != a[metric + "_better"] for s in b)
                print(f"| {key} ({len(scms)} -> {n}) | {method} | {metric} | {a[metric]:.3f} ± {half(a, metric):.3f} | "
                      f"{np.mean([s[metric] for s in b]):.3f} ± {np.mean([half(s, metric) for s in b]):.3f} | "
                      f"{a[metric + '_better']} | {flips} |")


if __name__ == "__main__":
    main()
