"""Every published cell next to ours: the paper-versus-ours comparison (CSV and Markdown).

The published values and the paper's settings are facts kept in ``config/paper_values.yaml``; ours come
from the table this run wrote (e.g. ``results/tables/table1.csv``). A note says where this run's settings
differ from the paper's (test-set size, training length, a model not trained), so a reader can tell a
disagreement from a smaller run. A published cell we have not computed keeps an empty "ours".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from activa.report.tables import METRICS

COLUMNS = ["table", "row", "method", "metric", "published", "ours", "difference", "ratio", "vs_baseline_ours",
           "vs_baseline_paper", "paper_baseline_ours", "vs_paper_baseline_ours", "note"]


def _settings_notes(config: dict, row: str, method: str, settings: dict, models: dict) -> list[str]:
    """Where this run's settings for (row, method) differ from the paper's ``settings`` of that row.

    ``models``: variant -> metadata of its model file (``checkpoint.read_trained``); an ACTIVA cell's note says
    how its model was trained (its lineage: every run's steps, batch, precision, recipe and device, and the total;
    shipped or trained here) rather than what the config says.
    """
    notes = []
    family = config["families"].get(row)
    if family is not None and "test_scms" in settings and family["splits"]["test"] != settings["test_scms"]:
        notes.append(f"test SCMs {family['splits']['test']} (paper {settings['test_scms']})")
    if method == "activa":
        activa = config["activa"]
        variants = [v for v in activa["train"] if row in activa["variants"][v]["test_on"]]
        paper = f"(paper {settings.get('epochs')} epochs at {settings.get('batch_size')})"
        if not variants:
            notes.append("model not trained in this run")
        elif variants[0] in models:
            from activa.model import lineage

            origin = "shipped model" if variants[0] in activa["pretrained"]["variants"] else "trained"
            notes.append(f"{origin}: {lineage.describe(lineage.of(models[variants[0]]))} {paper}")
        else:
            spec = activa["variants"][variants[0]]
            if (spec["epochs"], spec["batch_size"]) != (settings.get("epochs"), settings.get("batch_size")):
                notes.append(f"trained {spec['epochs']} epochs at batch {spec['batch_size']} {paper}")
    return notes


def compare_table1(ours: pd.DataFrame, published: dict, settings: dict, config: dict,
                   models: dict | None = None) -> pd.DataFrame:
    """Rows (row, method, metric) of v2 Table 1: published, ours, ours - published, ours / published, note.

    ours: the ``table1.csv`` frame (columns key, <method>_<metric>); published: ``v2_table1`` of
    paper_values.yaml; settings: its ``v2_settings.rows``; models: variant -> its model file's metadata.
    """
    ours = ours.set_index("key")
    records = []
    for row, methods in published["rows"].items():
        for method, cells in methods.items():
            notes = _settings_notes(config, row, method, settings.get(row, {}), models or {})
            for metric, _, _ in METRICS:
                if metric not in cells:
                    continue
                value = ours.at[row, f"{method}_{metric}"] if row in ours.index else math.nan
                value = float(value) if value is not None else math.nan
                pub = float(cells[metric])
                records.append({
                    "table": "v2 Table 1", "row": row, "method": method, "metric": metric, "published": pub,
                    "ours": value, "difference": value - pub, "ratio": value / pub if pub else math.nan,
                    "note": "; ".join(notes if not math.isnan(value) else ["not computed in this run"]),
                })
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def compare_v1(published: dict, ours: dict[str, pd.DataFrame], config: dict) -> pd.DataFrame:
    """Rows for ACTIVA v1's published cells (``v1_tables`` of paper_values.yaml), p-values included.

    ours: v1-layout table name -> its CSV frame (columns key, method, mmd, wsd, erg, p_value). A cell whose
    ``ours`` is null has no counterpart in our tables, and says so.
    """
    records = []
    for cell in published["cells"]:
        value, notes = {}, []
        if cell["ours"] is None:
            notes.append("no counterpart in our tables")
        else:
            table, key, method = cell["ours"]
            frame = ours.get(table)
            match = frame[(frame["key"] == key) & (frame["method"] == method)] if frame is not None else frame
            if match is None or match.empty or match[["mmd", "wsd", "erg"]].isna().all(axis=None):
                notes.append("not computed in this run")
            else:
                value = match.iloc[0].to_dict()
                family = config["families"].get(key, {})
                if family.get("generator") == "sergio" and family.get("n_vars") != 11:
                    notes.append(f"ours: {family['n_vars']} genes (v2's setting), v1: 11")
        for metric in ("mmd", "wsd", "erg", "p_value"):
            pub = float(cell[metric])
            mine = float(value.get(metric, math.nan))
            records.append({"table": cell["table"], "row": cell["row"], "method": cell["method"], "metric": metric,
                            "published": pub, "ours": mine, "difference": mine - pub,
                            "ratio": mine / pub if pub else math.nan, "note": "; ".join(notes)})
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def is_baseline(method: str) -> bool:
    return method.lower() == "baseline"


def versus_baseline(frame: pd.DataFrame) -> pd.DataFrame:
    """Add each method's ratio to the baseline of the same (table, row, metric), ours and the paper's.

    On the same data a ratio does not depend on the metric's scale, so it compares where values cannot.
    Empty for the baseline itself and for p-values.
    """
    keys = ["table", "row", "metric"]
    baseline = frame["method"].map(is_baseline)
    base = frame.loc[baseline, keys + ["ours", "published"]]
    merged = frame[keys].merge(base, on=keys, how="left")  # a left merge keeps frame's row order
    compared = (~baseline & (frame["metric"] != "p_value")).to_numpy()
    frame = frame.copy()
    for column, source in (("vs_baseline_ours", "ours"), ("vs_baseline_paper", "published")):
        ratio = frame[source].to_numpy(dtype=float) / merged[source].replace(0.0, np.nan).to_numpy(dtype=float)
        frame[column] = np.where(compared, ratio, np.nan)
    return frame


def versus_paper_baseline(frame: pd.DataFrame, references: pd.DataFrame) -> pd.DataFrame:
    """Add, on v2 Table 1's rows, our ``paper_baseline`` (the baseline queried at V_t = 0, as the published
    baseline numbers were made; ``table1_references.csv``, all test SCMs): its value on the baseline's rows
    (``paper_baseline_ours``, comparable with the published baseline cell) and each other method's ratio to it
    (``vs_paper_baseline_ours``, comparable with the paper's own ratio ``vs_baseline_paper``)."""
    frame = frame.copy()
    frame["paper_baseline_ours"] = np.nan
    frame["vs_paper_baseline_ours"] = np.nan
    rows = references[(references["scope"] == "all") & (references["method"] == "paper_baseline")].set_index("key")
    for i, r in frame.iterrows():
        if r["table"] != "v2 Table 1" or r["row"] not in rows.index or r["metric"] not in rows.columns:
            continue
        value = float(rows.at[r["row"], r["metric"]])
        if is_baseline(r["method"]):
            frame.at[i, "paper_baseline_ours"] = value
        elif value:
            frame.at[i, "vs_paper_baseline_ours"] = r["ours"] / value
    return frame


def at_or_below(frame: pd.DataFrame) -> pd.DataFrame:
    """Per published table: the ACTIVA cells (MMD, WSD, ERG; every method but the baseline) computed here, and
    how many of them are at or below the published value. Columns table, cells, at_or_below."""
    cells = frame[~frame["method"].map(is_baseline) & frame["metric"].isin([m for m, _, _ in METRICS])
                  & frame["ours"].notna()]
    grouped = cells.assign(hit=cells["ours"] <= cells["published"]).groupby("table", sort=False)["hit"]
    return pd.DataFrame({"cells": grouped.size(), "at_or_below": grouped.sum().astype(int)}).reset_index()


def baseline_notes(frame: pd.DataFrame, published_baseline: pd.DataFrame) -> pd.DataFrame:
    """Note on each published baseline cell which hypothesis of results/calibration/published_baseline.csv
    reproduces it (configured conventions): the correct baseline, another hypothesis, or neither."""
    from activa.report.published_baseline import note, reproduced_by

    hits = reproduced_by(published_baseline)
    correct = set(published_baseline.loc[published_baseline["is_baseline"], "hypothesis"])
    frame = frame.copy()
    for i, r in frame.iterrows():
        key = (r["table"], r["row"], r["metric"])
        if is_baseline(r["method"]) and key in hits:
            frame.at[i, "note"] = "; ".join(filter(None, [r["note"], note(hits[key], correct)]))
    return frame


def compare(table1: pd.DataFrame, v1_tables: dict[str, pd.DataFrame], facts: dict, config: dict,
            models: dict | None = None, published_baseline: pd.DataFrame | None = None,
            references: pd.DataFrame | None = None):
    """Every published cell (v2 Table 1; v1 Tables 1, 2, 3, 6 where ``facts`` has them) next to ours.

    table1: our ``table1.csv``; v1_tables: our v1-layout tables by name; facts: paper_values.yaml; models:
    variant -> metadata of the Table 1 models; published_baseline: results/calibration/published_baseline.csv
    (notes on the baseline cells); references: our ``table1_references.csv`` (the paper-style baseline).
    Returns (the frame with ``COLUMNS``, its Markdown).
    """
    frame = compare_table1(table1, facts["v2_table1"], facts["v2_settings"]["rows"], config, models)
    sources = facts["v2_table1"]["source"]
    if "v1_tables" in facts:
        frame = pd.concat([frame, compare_v1(facts["v1_tables"], v1_tables, config)], ignore_index=True)
        sources += "; " + facts["v1_tables"]["source"]
    frame = versus_baseline(frame)
    frame = versus_paper_baseline(frame, references) if references is not None else frame.assign(
        paper_baseline_ours=np.nan, vs_paper_baseline_ours=np.nan)
    if published_baseline is not None:
        frame = baseline_notes(frame, published_baseline)
    labels = {row["key"]: row["label"] for row in config["table1"]["rows"]}
    return frame[COLUMNS], to_markdown(frame[COLUMNS], labels, sources)


def to_markdown(frame: pd.DataFrame, labels: dict[str, str], source: str) -> str:
    """The comparison as a Markdown table, one line per published cell."""
    def fmt(x, digits=2):
        return "" if isinstance(x, float) and math.isnan(x) else f"{x:.{digits}f}"

    lines = [f"# Paper versus ours: {source}", "",
             "Every published cell next to ours. difference = ours - published, ratio = ours / published. "
             "vs baseline: the method's value divided by the baseline's on the same row and metric, ours "
             "(the paper's): on the same data such a ratio does not depend on the metric's scale. Which metric "
             "conventions the published baseline pins is in results/calibration/metric_conventions.md, and which "
             "way of computing the baseline reproduces the published baseline cells in "
             "results/calibration/published_baseline.md (noted on each baseline cell). at V_t = 0: our baseline "
             "queried at V_t = 0, the way the published baseline numbers were made (reference paper_baseline), on "
             "the baseline's rows its value and on ACTIVA's rows ACTIVA's ratio to it, to set against the paper's "
             "own ratio in brackets before it.", "",
             "| table | row | method | metric | published | ours | difference | ratio | vs baseline: ours (paper) "
             "| at V_t = 0 | note |",
             "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    names = {m: label for m, label, _ in METRICS} | {"p_value": "p"}

    def versus(r):
        ours, paper = fmt(r["vs_baseline_ours"]), fmt(r["vs_baseline_paper"])
        return f"{ours} ({paper})" if ours or paper else ""

    for _, r in frame.iterrows():
        digits = 3 if r["metric"] == "p_value" else 2
        lines.append(f"| {r['table']} | {labels.get(r['row'], r['row'])} | {r['method']} | "
                     f"{names.get(r['metric'], r['metric'])} | {fmt(r['published'], digits)} | {fmt(r['ours'], digits)} | "
                     f"{fmt(r['difference'], digits)} | {fmt(r['ratio'])} | {versus(r)} | "
                     f"{fmt(r['paper_baseline_ours'], digits) or fmt(r['vs_paper_baseline_ours'])} | {r['note']} |")
    computed = frame.dropna(subset=["ours"])
    lines += ["", f"{len(computed)} of {len(frame)} published cells computed in this run.", "",
              "ACTIVA cells (MMD, WSD, ERG of every model row) at or below the published value, per table: "
              + "; ".join(f"{r['table']} {r['at_or_below']} of {r['cells']}" for _, r in at_or_below(frame).iterrows())
              + "."]
    v2 = computed[computed["table"] == "v2 Table 1"]
    if len(v2):
        wins = v2.pivot_table(index=["row", "metric"], columns="method", values="ours")
        if {"activa", "baseline"} <= set(wins.columns):
            both = wins.dropna()
            lines.append(f"ACTIVA below the baseline in {int((both['activa'] < both['baseline']).sum())} of "
                         f"{len(both)} (row, metric) cells where we have both (the paper: "
                         f"{_published_wins(frame, both.index)} of the same cells).")
    return "\n".join(lines) + "\n"


def _published_wins(frame: pd.DataFrame, cells) -> int:
    frame = frame[frame["table"] == "v2 Table 1"]
    pub = frame.pivot_table(index=["row", "metric"], columns="method", values="published").loc[list(cells)]
    return int(np.sum(pub["activa"] < pub["baseline"]))
