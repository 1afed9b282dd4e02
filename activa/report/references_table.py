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

from activa.eval.methods import BUILTIN, label_of, sees_of, table_order
from activa.eval.scoring import read_metrics
from activa.report.tables import (AGAINST_HEADER, AGAINST_NOTE, CELL_STATS, EFFECT_METRICS, EFFECT_NOTE, _against_rows,
                                  against, cell_stats, close_pm, format_cell, interval_note, latex_escape,
                                  write_formats)

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
            seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per (family, scope, method) with a metrics file: scope "all" (every test SCM; a method run on a
    subset, on its subset) and "dowhy subset" (every method that predicts all of dowhy_gcm's SCMs, on those).
    Columns key, data, scope, method, label, scms, pairs, <metric> with _lo/_hi/_p (``tables.collect``), p_value,
    gap_closed_<metric> (ACTIVA rows), summary (how a discovery method's run went). Second frame: the methods that
    see the observational samples only against ACTIVA (``tables.against``), per family.
    """
    records, versus = [], []
    for row in rows:
        loaded = {m: read_metrics(path) for (m, k), path in metric_files.items() if k == row["key"]}
        if not loaded:
            continue  # a family not scored yet: no rows
        order = table_order(loaded, {m: sees_of(m, meta) for m, (_, meta) in loaded.items()})
        frames = {m: loaded[m][0] for m in order}
        labels = {m: label_of(m, loaded[m][1]) for m in order}
        for scope in SCOPES:
            if scope == "all":
                scoped = frames
            elif "dowhy_gcm" in frames:
                subset = set(frames["dowhy_gcm"]["scm"])  # the methods that predict all of them
                scoped = {m: f[f["scm"].isin(subset)] for m, f in frames.items() if subset <= set(f["scm"])}
            else:
                continue
            cells = cell_stats(scoped, [m for m, _, _ in METRICS], intervals, seed, f"{row['key']}/{scope}")
            part = []
            for method in order:
                frame = scoped.get(method)
                if frame is None or not len(frame):
                    continue  # not in this scope (a method on its own subset of SCMs)
                record = {"key": row["key"], "data": row["label"], "scope": scope, "method": method,
                          "label": labels[method], "scms": frame["scm"].nunique(), "pairs": len(frame)}
                for metric, _, _ in METRICS:
                    for suffix in CELL_STATS:
                        record[metric + suffix] = cells[method][metric + suffix]
                record["p_value"] = float(frame["p_value"].mean())
                record["summary"] = loaded[method][1].get("summary", "")
                part.append(record)
            part = pd.DataFrame.from_records(part)
            for metric, _, _ in METRICS:
                part[f"gap_closed_{metric}"] = [gap_closed(part, metric) if m == "activa" else math.nan
                                                for m in part["method"]]
            records.append(part)
        competitors = [m for m in order if sees_of(m, loaded[m][1]) == "observational"
                       and m not in ("no_effect", "baseline", "paper_baseline", "activa", "activa_1latent")]
        if "activa" in frames:
            for record in against(frames, "activa", competitors, intervals, seed, row["key"]):
                versus.append({"key": row["key"], "group": row["label"], "label": labels[record["method"]],
                               "against_label": "ACTIVA", **record})
    table = pd.concat(records, ignore_index=True) if records else pd.DataFrame()
    return table, pd.DataFrame.from_records(versus)


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


def notes(intervals: dict, table: pd.DataFrame | None = None) -> str:
    """The table's notes: the gap, every method's note from the registry (an external one's label), how each
    discovery method's run went."""
    present = set(table["method"]) if table is not None and len(table) else {m.name for m in BUILTIN}
    described = " ".join(m.note for m in BUILTIN if m.name in present)
    runs = []
    if table is not None and len(table):
        for _, r in table[(table["scope"] == "all") & (table["summary"].fillna("") != "")].iterrows():
            runs.append(f"{r['data']}, {r['label']}: {r['summary']}.")
    return (f"{interval_note(intervals)} "
            "p: mean p-value of the energy permutation test. Gap closed: (baseline - ACTIVA) / (baseline - oracle "
            "graph), the share of the distance from conditioning to the true graph that ACTIVA covers (100% = as "
            "good as the oracle, 0% = no better than the baseline, negative = worse); – where the oracle is not "
            "better than the baseline (no gap to close). SCMs: a method on fewer than all test SCMs runs on a seeded "
            "subset (references.<method>.scms); its paired tests use the SCMs it shares with the other method. "
            f"{described} On SERGIO every linear SEM (the discovery methods', the oracle's, DoWhy's) is misspecified: "
            "expression is a non-linear, non-negative function of its regulators. The second table sets every method "
            "that predicts all of DoWhy GCM's subset of SCMs on those SCMs. The methods that see only the "
            "observational samples set V_t to v plus the family's jitter, as the ground truth does; the others set "
            "V_t to v exactly. "
            f"{EFFECT_NOTE} {AGAINST_NOTE}" + (" How the discovery runs went: " + " ".join(runs) if runs else ""))


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


def to_markdown(table: pd.DataFrame, intervals: dict, floors: pd.DataFrame | None = None,
                versus: pd.DataFrame | None = None) -> str:
    lines = []
    for scope, title in (("all", "All test SCMs (DoWhy GCM: its subset)"),
                         ("dowhy subset", "Every method on DoWhy GCM's subset of test SCMs")):
        if not (table["scope"] == scope).any():
            continue
        lines += [f"**{title}**", "", "| " + " | ".join(HEADER) + " |", "|---|---|" + "---:|" * (len(HEADER) - 2)]
        lines += ["| " + " | ".join(c) + " |"
                  for c in _rows(table, scope, lambda t: f"**{t}**", " ± ", "–", "%")]
        lines.append("")
    if versus is not None and len(versus):
        lines += ["**The methods a researcher would run instead (they see only the observational samples), against "
                  "ACTIVA**", "", "| " + " | ".join(AGAINST_HEADER) + " |",
                  "|---|---|---|" + "---:|" * (len(AGAINST_HEADER) - 3)]
        lines += ["| " + " | ".join(c) + " |"
                  for c in _against_rows(versus, intervals["alpha"], lambda t: f"**{t}**", " ± ", "–")]
        lines.append("")
    labels = dict(zip(table["key"], table["data"])) if len(table) else {}
    return "\n".join(lines + floor_markdown(floors, labels) + [notes(intervals, table), ""])


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


def write(table: pd.DataFrame, prefix: str | Path, intervals: dict, floors: pd.DataFrame | None = None,
          versus: pd.DataFrame | None = None) -> list[Path]:
    """``<prefix>.csv``, ``.md`` and ``.tex`` (floors: the effective-sample-size rows; versus: ``collect``'s
    methods against ACTIVA, also ``<prefix>.against_activa.csv``; both in the Markdown only)."""
    from activa.data.format import write_csv

    if versus is not None:
        write_csv(Path(str(prefix) + ".against_activa.csv"), versus)
    return write_formats(table, prefix, to_markdown(table, intervals, floors, versus), to_latex(table, intervals))
