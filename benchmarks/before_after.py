"""Every ACTIVA cell of two runs side by side, with a paired test over test SCMs: how an inference setting moved
the tables (issue: calibrated predictions).

    python benchmarks/before_after.py --before DIR --after DIR [--config config/config.yaml ...] --out FILE.md

DIR: a run's ``results/`` folder (or a copy of it). For every metrics file of an ACTIVA method (``activa``,
``activa_1latent``, a v1 variant's) present in both, per metric (MMD, WSD, ERG, the effect errors on descendants and
non-descendants, the energy score): the mean before and after, the baseline's mean (of the after run), the paired
two-sided Wilcoxon p-value of after against before over the test SCMs' means, and in Table 1's rows whether the
cell is below the baseline (a lower mean and a one-sided paired Wilcoxon test at the config's alpha: the bold of
Table 1) before and after. Counts of Table 1 cells below the baseline close the file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from activa import config as cfg  # noqa: E402
from activa.eval.intervals import EFFECTS, per_scm, per_scm_effect, wilcoxon_less  # noqa: E402
from activa.eval.methods import registry  # noqa: E402

METRICS = (("mmd", "MMD", 3), ("wsd", "WSD", 2), ("erg", "ERG", 2), ("desc", "Desc.", 2), ("nondesc", "Non-desc.", 2),
           ("energy_score", "Energy score", 3))
TABLE1 = ("mmd", "wsd", "erg")


def scm_means(frame: pd.DataFrame, metric: str) -> pd.Series:
    if metric in EFFECTS:
        sums, counts = per_scm_effect(frame, metric)
        return (sums / counts)[counts > 0]
    return per_scm(frame, metric)


def cell(frame: pd.DataFrame, metric: str) -> float:
    if metric in EFFECTS:
        sums, counts = per_scm_effect(frame, metric)
        return float(sums.sum() / counts.sum())
    return float(frame[metric].mean())


def below(a: pd.DataFrame, b: pd.DataFrame, metric: str, alpha: float) -> bool:
    """Table 1's bold: a's mean below b's and a one-sided paired Wilcoxon test at alpha."""
    p, shift = wilcoxon_less(scm_means(a, metric), scm_means(b, metric))
    return bool(p < alpha and shift < 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    config = cfg.load_config(args.config or [ROOT / "config" / "config.yaml"])
    alpha = config["intervals"]["alpha"]
    table1 = [row["key"] for row in config["table1"]["rows"]]
    labels = {name: spec["label"] for name, spec in config["families"].items()}
    rows, counts = [], {"before": 0, "after": 0, "cells": 0}
    for after_path in sorted((args.after / "metrics").glob("*/*.parquet")):
        method, family = after_path.parent.name, after_path.stem
        before_path = args.before / "metrics" / method / f"{family}.parquet"
        if method == "baseline" or method in registry({}) or not before_path.exists():
            continue
        # plain reads: a run before the calibration columns existed has metrics files without them
        after, before = pd.read_parquet(after_path), pd.read_parquet(before_path)
        base_path = args.after / "metrics" / "baseline" / f"{family}.parquet"
        base = pd.read_parquet(base_path) if base_path.exists() else None
        for metric, label, digits in METRICS:
            if (f"{metric}_err_sum" if metric in EFFECTS else metric) not in before.columns:
                continue  # the energy score: not in a run from before it existed
            a, b = scm_means(after, metric), scm_means(before, metric)
            joined = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner")
            diff = (joined["a"] - joined["b"]).to_numpy()
            p = float(stats.wilcoxon(diff).pvalue) if np.any(diff != 0) else 1.0
            record = {"method": method, "family": family, "data": labels.get(family, family), "metric": label,
                      "before": cell(before, metric), "after": cell(after, metric),
                      "baseline": cell(base, metric) if base is not None else np.nan, "p_after_vs_before": p,
                      "digits": digits}
            if method == "activa" and family in table1 and metric in TABLE1 and base is not None:
                record["below_baseline_before"] = below(before, base, metric, alpha)
                record["below_baseline_after"] = below(after, base, metric, alpha)
                counts["cells"] += 1
                counts["before"] += record["below_baseline_before"]
                counts["after"] += record["below_baseline_after"]
            rows.append(record)
    frame = pd.DataFrame(rows)
    lines = [f"# ACTIVA's cells before ({args.before}) and after ({args.after})", "",
             "| Method | Data | Metric | Before | After | Baseline | p (after vs before) | below baseline: before / "
             "after |", "|---|---|---|---:|---:|---:|---:|---|"]
    for _, r in frame.iterrows():
        d = int(r["digits"])
        flag = "" if pd.isna(r.get("below_baseline_before", np.nan)) else \
            f"{'yes' if r['below_baseline_before'] else 'no'} / {'yes' if r['below_baseline_after'] else 'no'}"
        lines.append(f"| {r['method']} | {r['data']} | {r['metric']} | {r['before']:.{d}f} | {r['after']:.{d}f} | "
                     f"{r['baseline']:.{d}f} | {r['p_after_vs_before']:.2g} | {flag} |")
    lines += ["", f"Table 1 cells (ACTIVA's MMD, WSD, ERG) below the baseline (lower mean, one-sided paired Wilcoxon "
              f"p < {alpha:g}): {counts['before']} of {counts['cells']} before, {counts['after']} of {counts['cells']} "
              "after. p (after vs before): two-sided Wilcoxon signed-rank test over the test SCMs' means (the effect "
              "errors: each SCM's mean over its triples).", ""]
    args.out.write_text("\n".join(lines))
    frame.drop(columns="digits").to_csv(args.out.with_suffix(".csv"), index=False)
    print("\n".join(lines[-2:]))


if __name__ == "__main__":
    main()
