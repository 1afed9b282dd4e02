"""What a smaller test split would cost Table 1: its cells recomputed on a seeded subset of a finished run's test SCMs.

    python benchmarks/smaller_test_split.py --run DIR --configfile config/quick.yaml --scms gauss8=1000 beta8=1000

For each named Table 1 row, ACTIVA's and the baseline's metrics files of the run (``DIR/results/metrics/``) are cut
to ``n`` test SCMs drawn once without replacement (numpy, seed 0), and the row's cells recomputed exactly as the
tables stage does (``activa.report.tables.cell_stats``: mean, bootstrap interval over SCMs, paired Wilcoxon test
against the baseline). A test split of ``n`` SCMs is a sample of the same distribution, so this is what the smaller
split would show, up to which SCMs it draws. Prints, per cell: the value and interval half-width on all SCMs and
on the subset, and whether the bold mark (better than the comparator) changes.
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
    args = parser.parse_args()
    config = cfg.load_config([args.run / "config/config.yaml", *(args.run / c for c in args.configfile)])
    metrics = [m for m, _, _ in METRICS + EFFECT_METRICS]
    print("| row | method | metric | all SCMs | subset | bold: all -> subset |")
    print("|---|---|---|---:|---:|---|")
    for item in args.scms:
        key, n = item.split("=")
        frames = {m: read_metrics(args.run / "results" / "metrics" / m / f"{key}.parquet")[0] for m, _ in METHODS}
        scms = np.sort(frames["activa"]["scm"].unique())
        keep = np.random.default_rng(0).choice(scms, size=int(n), replace=False)
        subset = {m: f[f["scm"].isin(keep)].reset_index(drop=True) for m, f in frames.items()}
        full = cell_stats(frames, metrics, config["intervals"], config["seed"], key)
        small = cell_stats(subset, metrics, config["intervals"], config["seed"], key)
        for method, _ in METHODS:
            for metric in metrics:
                a, b = full[method], small[method]
                cell = lambda s: f"{s[metric]:.3f} ± {(s[metric + '_hi'] - s[metric + '_lo']) / 2:.3f}"
                change = f"{a[metric + '_better']} -> {b[metric + '_better']}"
                print(f"| {key} ({len(scms)} -> {n}) | {method} | {metric} | {cell(a)} | {cell(b)} | "
                      f"{change}{' **changes**' if a[metric + '_better'] != b[metric + '_better'] else ''} |")


if __name__ == "__main__":
    main()
