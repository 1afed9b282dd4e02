"""Table 1 with its references (results/tables/table1_references): where ACTIVA stands between a method that
predicts no effect, the conditional baseline, a method told the true graph, and the metrics' noise floor.

Rows are (family, method); methods in the order of ``METHODS``; columns MMD, WSD, ERG (each ± half its
bootstrap interval over test SCMs) and the mean p-value of the energy test. Per family, "gap closed" is the
fraction of the baseline-to-oracle_graph gap that ACTIVA closes on each metric,
(baseline - ACTIVA) / (baseline - oracle_graph). dowhy_gcm runs on a subset of the test SCMs, so a second
table sets every method against it on exactly those SCMs. Bold, as in Table 1: better than the baseline
(``activa.report.tables.cell_stats``). Gap closed is shown only where the oracle itself is better than the baseline.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from activa.eval.scoring import read_metrics
from activa.report.tables import (CELL_STATS, EFFECT_METRICS, EFFECT_NOTE, cell_stats, close_pm, format_cell,
                                  interval_note, latex_escape, write_formats)

METHODS = (("no_effect", "no effect"), ("baseline", "baseline"), ("paper_baseline", "baseline at V_t = 0 (paper's)"),
           ("activa", "ACTIVA"), ("oracle_graph", "oracle graph"), ("dowhy_gcm", "DoWhy GCM"),
           ("truth_resample", "truth resample"), ("truth_pooled", "truth pooled"))
DISTANCES = (("mmd", "MMD", 2), ("wsd", "WSD", 2), ("erg", "ERG", 2))
METRICS = DISTANCES + EFFECT_METRICS
SCOPES = ("all", "dowhy subset")


def gap_closed(frame: pd.DataFrame, metric: str) -> float:
    """(baseline - ACTIVA) / (baseline - oracle_graph) of one (family, scope)'s rows; NaN if a cell is missing or
    the oracle is not better than the baseline (bold: lower mean, significant paired test): no gap to close."""
    value = frame.set_index("method")[metric]
    if not {"baseline", "activa", "oracle_graph"} <= set(value.dropna().index):
        return math.nan
    if not frame.set_index("method").loc["oracle_graph", f"{metric}_better"]:
        return math.nan
    gap = value["baseline"] - value["oracle_graph"]
    return float((value["baseline"] - value["activa"]) / gap) if gap != 0 else math.nan


def collect(rows: list[dict], metric_files: dict[tuple[str, str], str | Path], intervals: dict,
            seed: int) -> pd.DataFrame:
    """One row per (family, scope, method) with a metrics file: scope "all" (every test SCM; dowhy_gcm on its
    subset) and "dowhy subset" (every method on dowhy_gcm's SCMs). Columns key, data, scope, method, label,
    scms, pairs, <metric> with _lo/_hi/_p (``tables.collect``), p_value, gap_closed_<metric> (ACTIVA rows).
    """
    records = []
    for row in rows:
        frames = {m: read_metrics(metric_files[(m, row["key"])])[0] for m, _ in METHODS
                  if (m, row["key"]) in metric_files}
        if not frames:
            continue  # a family not scored yet: no rows
        for scope in SCOPES:
            if scope == "all":
                scoped = frames
            elif "dowhy_gcm" in frames:
                subset = set(frames["dowhy_gcm"]["scm"])
                scoped = {m: f[f["scm"].isin(subset)] for m, f in frames.items()}
            else:
                continue
            cells = cell_stats(scoped, [m for m, _, _ in METRICS], intervals, seed, f"{row['key']}/{scope}")
            part = []
            for method, label in METHODS:
                if method not in scoped:
                    continue
                frame = scoped[method]
                record = {"key": row["key"], "data": row["label"], "scope": scope, "method": method, "label": label,
                          "scms": frame["scm"].nunique(), "pairs": len(frame)}
                for metric, _, _ in METRICS:
                    for suffix in CELL_STATS:
                        record[metric + suffix] = cells[method][metric + suffix]
                record["p_value"] = float(frame["p_value"].mean())
                part.append(record)
            part = pd.DataFrame.from_records(part)
            for metric, _, _ in METRICS:
                part[f"gap_closed_{metric}"] = [gap_closed(part, metric) if m == "activa" else math.nan
                                                for m in part["method"]]
            records.append(part)
    return pd.concat(records, ignore_index=True) if records else pd.DataFrame()


def _rows(table: pd.DataFrame, scope: str, bold, pm: str, dash: str, percent: str) -> list[list[str]]:
    out = []
    for _, family in table[table["scope"] == scope].groupby("key", sort=False):
        for i, (_, r) in enumerate(family.iterrows()):
            cells = [r["data"] if i == 0 else "", r["label"], f"{r['scms']:,}"]
            cell = [format_cell(r[m], r[m + "_lo"], r[m + "_hi"], r[m + "_better"], digits, bold, pm, dash)
                    for m, _, digits in METRICS]
            out.append(cells + cell[:len(DISTANCES)] + [f"{r['p_value']:.3f}"] + cell[len(DISTANCES):])
        activa = family[family["method"] == "activa"]
        if len(activa):
            gaps = [dash if math.isnan(g) else f"{100 * g:.0f}{percent}"
                    for g in (activa[f"gap_closed_{m}"].iloc[0] for m, _, _ in METRICS)]
            out.append(["", "gap closed by ACTIVA", ""] + gaps[:len(DISTANCES)] + [""] + gaps[len(DISTANCES):])
    return out


HEADER = ["Data", "Method", "SCMs", "MMD", "WSD", "ERG", "p", "Desc.", "Non-desc."]


def notes(intervals: dict) -> str:
    return (f"{interval_note(intervals)} "
            "p: mean p-value of the energy permutation test. Gap closed: (baseline - ACTIVA) / (baseline - oracle "
            "graph), the share of the distance from conditioning to the true graph that ACTIVA covers (100% = as "
            "good as the oracle, 0% = no better than the baseline, negative = worse); – where the oracle is not "
            "better than the baseline (no gap to close). No effect: the observational samples with V_t "
            "set to v (no effect downstream). Oracle graph: the true graph, each mechanism fitted by least squares "
            "on its true parents from the same observational samples, noise from the fitted residuals (normal on "
            "the Gaussian families, resampled residuals otherwise). On the Gaussian families the direction of an "
            "edge cannot be identified from observational data, so there it is a bound that no graph-free method "
            "can reach, not a target; on SERGIO the linear mechanism is misspecified (expression is a nonlinear, "
            "non-negative function of its regulators). DoWhy GCM: dowhy.gcm with the true graph and automatically "
            "assigned mechanisms, on a fixed random subset of the test SCMs (second table: every method on those "
            "SCMs). Baseline at V_t = 0 (paper's): the baseline conditioned on and set to V_t = 0 whatever the "
            "query's value, the way the published baseline numbers were made (results/calibration/"
            "published_baseline.md; on SERGIO, where v = 0, the baseline itself). Truth resample: a second "
            "independent run of the ground truth with the same N. Truth pooled: N samples drawn from many "
            "independent runs pooled, the score of a perfect prediction of the condition's distribution (the "
            "floor; on the linear families distributed as truth resample, on SERGIO lower, since one run's cells "
            "are snapshots of one trajectory). Every method sets V_t to v exactly; the ground truth adds the "
            f"family's jitter. {EFFECT_NOTE}")


def floor_markdown(floors: pd.DataFrame, labels: dict[str, str]) -> list[str]:
    """The table of how independent a regime's N samples are (``references.effective_samples``, one row per family
    of the truth_pooled stage's CSVs)."""
    if floors is None or not len(floors):
        return []
    lines = ["**How many independent samples a regime's N are worth**", "",
             "| Data | N | runs | N_eff, interventional: median (quartiles) | inflation | N_eff, observational: median "
             "| inflation |", "|---|---:|---:|---:|---:|---:|---:|"]
    for _, r in floors.iterrows():
        lines.append(f"| {labels.get(r['family'], r['family'])} | {r['n_samples']} | {r['runs']} | "
                     f"{r['interventional_n_eff_median']:.1f} ({r['interventional_n_eff_q1']:.1f}-"
                     f"{r['interventional_n_eff_q3']:.1f}) | {r['interventional_inflation']:.2f} | "
                     f"{r['observational_n_eff_median']:.1f} | {r['observational_inflation']:.2f} |")
    return lines + ["", "From the truth_pooled runs: per (test SCM, regime, variable), sigma^2 the variance of the "
                    "pooled cells, var_m the variance of a run's mean over the independent runs; N_eff = sigma^2 / "
                    "var_m (median over the non-targets), inflation = sum var_m / sum (sigma^2 / N): 1 for "
                    "independent samples, about N / N_eff when a run's samples are correlated (SERGIO: snapshots "
                    "of one trajectory).", ""]


def to_markdown(table: pd.DataFrame, intervals: dict, floors: pd.DataFrame | None = None) -> str:
    lines = []
    for scope, title in (("all", "All test SCMs (DoWhy GCM: its subset)"),
                         ("dowhy subset", "Every method on DoWhy GCM's subset of test SCMs")):
        if not (table["scope"] == scope).any():
            continue
        lines += [f"**{title}**", "", "| " + " | ".join(HEADER) + " |", "|---|---|" + "---:|" * (len(HEADER) - 2)]
        lines += ["| " + " | ".join(c) + " |"
                  for c in _rows(table, scope, lambda t: f"**{t}**", " ± ", "–", "%")]
        lines.append("")
    labels = dict(zip(table["key"], table["data"])) if len(table) else {}
    return "\n".join(lines + floor_markdown(floors, labels) + [notes(intervals), ""])


def to_latex(table: pd.DataFrame, intervals: dict) -> str:
    lines = []
    for scope in SCOPES:
        if not (table["scope"] == scope).any():
            continue
        lines += [r"\begin{tabular}{llr" + "r" * (len(HEADER) - 3) + "}", r"\toprule", " & ".join(HEADER) + r" \\",
                  r"\midrule"]
        for cells in _rows(table, scope, lambda t: rf"\textbf{{{t}}}", r"\,{\scriptsize$\pm$", "--", r"\%"):
            lines.append(" & ".join([latex_escape(c) for c in cells[:3]] + [close_pm(c) for c in cells[3:]]) + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def write(table: pd.DataFrame, prefix: str | Path, intervals: dict, floors: pd.DataFrame | None = None) -> list[Path]:
    """``<prefix>.csv``, ``.md`` and ``.tex`` (floors: the effective-sample-size rows, Markdown only)."""
    return write_formats(table, prefix, to_markdown(table, intervals, floors), to_latex(table, intervals))
