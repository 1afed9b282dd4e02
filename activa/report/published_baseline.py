"""What produced the published baseline numbers: each baseline hypothesis against every published cell.

The conditional baseline has no learned parts, so its published cells (v2 Table 1's baseline column, the
baseline rows of v1 Tables 1, 2, 3 and 6) say how they were computed. ``calibration.hypothesis_scores`` draws
each configured hypothesis (``calibration.baseline_hypotheses``: the correct baseline, the query read as
V_t = 0, ...) on this run's test splits and scores it under every metric convention of the calibration grid;
here each published cell gets its value under each hypothesis, the ratio ours / published, and whether that
is within the configured tolerance (``within``: 0.1 = 10 %). Two verdicts per hypothesis: with the configured
conventions, and with the conventions of the grid that fit that hypothesis best (one per metric, chosen by
the mean |log10 ratio| over the linear cells; that choice is fitted, so it is reported as such).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from activa.eval.baseline import BASELINE, describe_hypothesis
from activa.eval.calibration import configured_names

METRICS = (("mmd", "MMD"), ("wsd", "WSD"), ("erg", "ERG"))
SCORE_COLUMNS = ("family", "hypothesis", "metric", "convention", "value", "pairs")
COLUMNS = ["table", "row", "label", "family", "kind", "metric", "published", "hypothesis", "is_baseline", "convention",
           "configured", "ours", "ratio", "within"]


def published_cells(facts: dict, families: dict) -> pd.DataFrame:
    """The published baseline cells: v2 Table 1's baseline column and v1's baseline rows (MMD, WSD, ERG).

    facts: paper_values.yaml; families: the config's ``families``. Columns table, row (as in the paper
    comparison: the family key for v2, the paper's row name for v1), label, family, kind (linear or sergio),
    metric, published.
    """
    records = []

    def add(table, row, label, family, cells):
        kind = families.get(family, {}).get("generator", "linear")
        for metric, _ in METRICS:
            records.append({"table": table, "row": row, "label": label, "family": family, "kind": kind,
                            "metric": metric, "published": float(cells[metric])})

    for family, methods in facts["v2_table1"]["rows"].items():
        add("v2 Table 1", family, families.get(family, {}).get("label", family), family, methods["baseline"])
    for cell in facts.get("v1_tables", {}).get("cells", []):
        if cell["method"].lower() == "baseline" and cell["ours"] is not None:
            add(cell["table"], cell["row"], cell["row"], cell["ours"][1], cell)
    return pd.DataFrame.from_records(records)


def match(cells: pd.DataFrame, scores: pd.DataFrame, hypotheses: dict, metrics_config: dict,
          within: float) -> pd.DataFrame:
    """Every (published cell, hypothesis, convention of that metric): ours, ratio, within (``COLUMNS``).

    scores: ``hypothesis_scores`` rows of the families computed (cells of other families are left out);
    hypotheses: name -> spec; ``is_baseline`` marks the hypotheses that are the correct baseline.
    """
    configured = configured_names(metrics_config)
    frame = cells.merge(scores.rename(columns={"value": "ours"}), on=["family", "metric"], how="inner")
    frame = frame[frame["hypothesis"].isin(list(hypotheses))]
    correct = {name for name, spec in hypotheses.items()
               if spec["truth"] == "interventional" and all(spec[k] == v for k, v in BASELINE.items())}
    frame["is_baseline"] = frame["hypothesis"].isin(correct)
    frame["configured"] = [configured[m] == c for m, c in zip(frame["metric"], frame["convention"])]
    frame["ratio"] = frame["ours"] / frame["published"]
    frame["within"] = (frame["ratio"] - 1.0).abs() <= within
    return frame[COLUMNS].reset_index(drop=True)


def best_conventions(frame: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Per (hypothesis, metric) the convention with the smallest mean |log10 ratio| over the linear cells, and
    the rows of ``frame`` under those conventions: (Series (hypothesis, metric) -> convention, rows)."""
    linear = frame[frame["kind"] == "linear"].assign(error=lambda f: np.abs(np.log10(f["ratio"].clip(lower=1e-12))))
    score = linear.groupby(["hypothesis", "metric", "convention"], as_index=False)["error"].mean()
    best = score.sort_values(["hypothesis", "metric", "error", "convention"]).groupby(["hypothesis", "metric"]).head(1)
    rows = frame.merge(best[["hypothesis", "metric", "convention"]], on=["hypothesis", "metric", "convention"])
    return best.set_index(["hypothesis", "metric"])["convention"], rows


def _counts(frame: pd.DataFrame, hypothesis: str) -> dict[str, tuple[int, int]]:
    sub = frame[frame["hypothesis"] == hypothesis]
    return {kind: (int(sub[sub["kind"] == kind]["within"].sum()), int((sub["kind"] == kind).sum()))
            for kind in ("linear", "sergio")}


def verdicts(frame: pd.DataFrame, hypotheses: list[str]) -> pd.DataFrame:
    """Cells reproduced per hypothesis, with the configured conventions and with its best-fitting ones."""
    configured = frame[frame["configured"]]
    best, chosen = best_conventions(frame)
    records = []
    for name in hypotheses:
        mine, fitted = _counts(configured, name), _counts(chosen, name)
        linear = configured[(configured["hypothesis"] == name) & (configured["kind"] == "linear")]
        records.append({
            "hypothesis": name,
            "linear_within": mine["linear"][0], "linear_cells": mine["linear"][1],
            "sergio_within": mine["sergio"][0], "sergio_cells": mine["sergio"][1],
            "linear_mean_abs_log10_ratio": float(np.abs(np.log10(linear["ratio"].clip(lower=1e-12))).mean()),
            "best_linear_within": fitted["linear"][0], "best_sergio_within": fitted["sergio"][0],
            **{f"best_{m}": best.get((name, m), "") for m, _ in METRICS},
        })
    return pd.DataFrame.from_records(records)


def reproduced_by(frame: pd.DataFrame) -> dict[tuple[str, str, str], list[str]]:
    """(table, row, metric) -> the hypotheses that reproduce that published cell with the configured conventions."""
    hits = frame[frame["configured"] & frame["within"]]
    out = {key: [] for key in frame[["table", "row", "metric"]].drop_duplicates().itertuples(index=False, name=None)}
    for key, group in hits.groupby(["table", "row", "metric"], sort=False):
        out[key] = list(group["hypothesis"])
    return out


def _cell_table(frame: pd.DataFrame, hypotheses: list[str], names: dict[str, str]) -> list[str]:
    lines = ["| table | row | metric | published | " + " | ".join(f"`{h}`" for h in hypotheses) + " |",
             "|---|---|---|---:|" + "---:|" * len(hypotheses)]
    cells = frame.drop_duplicates(["table", "row", "metric"])
    for _, cell in cells.iterrows():
        sub = frame[(frame["table"] == cell["table"]) & (frame["row"] == cell["row"])
                    & (frame["metric"] == cell["metric"])].set_index("hypothesis")
        values = []
        for h in hypotheses:
            if h not in sub.index:
                values.append("")
                continue
            text = f"{sub.at[h, 'ours']:.3g} ({sub.at[h, 'ratio']:.2f})"
            values.append(f"**{text}**" if sub.at[h, "within"] else text)
        lines.append(f"| {cell['table']} | {cell['label']} | {names[cell['metric']]} | {cell['published']:g} | "
                     + " | ".join(values) + " |")
    return lines


def report(frame: pd.DataFrame, hypotheses: dict, metrics_config: dict, within: float, pairs: dict[str, int],
           source: str) -> tuple[pd.DataFrame, str]:
    """(the verdict table, the Markdown report). pairs: family -> (SCM, regime) pairs scored."""
    names = dict(METRICS)
    order = list(hypotheses)
    table = verdicts(frame, order)
    configured = configured_names(metrics_config)
    percent = f"{within:.0%}"
    lines = [
        "# What produced the published baseline numbers",
        "",
        f"Generated by `activa published-baseline` from `activa baseline-hypotheses`. Published: {source}. Each "
        "hypothesis is a way the published conditional baseline could have been computed, drawn on this run's "
        "test splits from the baseline's own random stream (so `correct` is our Table 1 baseline, sample for "
        "sample) and scored under every metric convention of the calibration grid "
        "(results/calibration/metric_conventions.md). v is the query's value (5 in the linear families, "
        "0 in SERGIO, where the hypotheses that replace v by 0 are the baseline itself). A cell is reproduced "
        f"when ours / published is within 1 ± {within:g} ({percent}).",
        "",
        "(SCM, regime) pairs scored per family: " + ", ".join(f"{f} {n:,}" for f, n in pairs.items()) + ".",
        "",
        "| hypothesis | what is drawn |",
        "|---|---|",
        *[f"| `{name}` | {describe_hypothesis(spec)} |" for name, spec in hypotheses.items()],
        "",
        "## Verdict",
        "",
        f"Cells reproduced within {percent}, with the configured conventions (MMD `{configured['mmd']}`, WSD "
        f"`{configured['wsd']}`, ERG `{configured['erg']}`) and with the conventions of the grid that fit each "
        "hypothesis best on the linear cells (fitted: one choice per metric). score: mean |log10(ours / "
        "published)| over the linear cells, configured conventions (0 = exact, 0.041 = 10 % off on average).",
        "",
        "| hypothesis | linear cells | SERGIO cells | score | best MMD | best WSD | best ERG | linear, best | "
        "SERGIO, best |",
        "|---|---:|---:|---:|---|---|---|---:|---:|",
    ]
    for _, r in table.iterrows():
        lines.append(f"| `{r['hypothesis']}` | {r['linear_within']} of {r['linear_cells']} | {r['sergio_within']} of "
                     f"{r['sergio_cells']} | {r['linear_mean_abs_log10_ratio']:.3f} | `{r['best_mmd']}` | "
                     f"`{r['best_wsd']}` | `{r['best_erg']}` | {r['best_linear_within']} of "
                     f"{r['linear_cells']} | {r['best_sergio_within']} of {r['sergio_cells']} |")
    if len(table):
        top = table.sort_values(["linear_within", "linear_mean_abs_log10_ratio"], ascending=[False, True]).iloc[0]
        lines += ["", f"Most linear cells with the configured conventions: `{top['hypothesis']}`, "
                      f"{top['linear_within']} of {top['linear_cells']} "
                      f"(score {top['linear_mean_abs_log10_ratio']:.3f})."]
    lines += ["", "## Cells, configured conventions", "",
              f"ours (ours / published); bold: within {percent}.", ""]
    lines += _cell_table(frame[frame["configured"]], order, names)
    lines += ["", "## Cells, each hypothesis's best conventions", "",
              "As above, each hypothesis under the conventions named in its verdict row.", ""]
    lines += _cell_table(best_conventions(frame)[1], order, names)
    return table, "\n".join(lines) + "\n"


def note(hypotheses: list[str], is_baseline: set[str]) -> str:
    """The paper comparison's note on a published baseline cell, given the hypotheses that reproduce it."""
    if is_baseline & set(hypotheses):
        return "published value reproduced by the correct baseline"
    if hypotheses:
        return ("published value reproduced by " + ", ".join(f"`{h}`" for h in hypotheses)
                + ", not by the correct baseline")
    return "published value reproduced by neither the correct baseline nor a hypothesis"
