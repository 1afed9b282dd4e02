"""How well each method's predicted distribution is calibrated (results/tables/calibration, its figure).

Rows are (family, method), on Table 1's families, from the metrics files' calibration columns
(``activa.eval.spread``, ``metrics.energy_score``):

- energy score (proper; lower is better), ± half its bootstrap interval over test SCMs, bold where a paired
  Wilcoxon test finds it below the baseline's (as Table 1);
- spread ratio, other variables and target: sum of the predicted standard deviations over sum of the true ones
  (> 1: wider than the truth); – where the truth does not vary (SERGIO's knocked-out target);
- coverage of the central 50 % and 90 % intervals of the predicted marginals by the true values of the
  non-target variables (randomised PIT; nominal 0.50 / 0.90 for a prediction distributed as the truth);
- held-out -log p per sample where the method has a density (ACTIVA's mixture; stage ``density``, on a subset of
  the test SCMs), ± half its bootstrap interval over those SCMs.

Ratios and coverages carry bootstrap intervals of a ratio of sums over SCMs. The figure draws, per family, the
PIT histogram of ACTIVA, the baseline and the truth's second draw, and every method's coverage at every level.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from activa.data.scm import seed_sequence
from activa.eval.intervals import bootstrap_interval
from activa.eval.methods import label_of, sees_of, table_order
from activa.eval.scoring import read_metrics
from activa.eval.spread import PIT_BINS, PIT_COLUMNS
from activa.report.tables import cell_stats, close_pm, format_cell, interval_note, latex_escape, write_formats

# (column, numerator, denominator): per SCM sums, a ratio of sums over SCMs
RATIOS = (("spread_other", "spread_pred_other", "spread_true_other"),
          ("spread_target", "spread_pred_target", "spread_true_target"))
LEVELS = (0.5, 0.9)
HEADER = ["Data", "Method", "SCMs", "Energy score", "Spread, other", "Spread, target", "Coverage 50%", "Coverage 90%",
          "-log p (SCMs)"]


def _inside(frame: pd.DataFrame, level: float) -> np.ndarray:
    """Per pair, the PIT counts inside the central interval at ``level``."""
    lo = int(round((1 - level) / 2 * PIT_BINS))
    return frame[list(PIT_COLUMNS[lo:PIT_BINS - lo])].to_numpy().sum(axis=1)


def _ratio(numerator: pd.Series, denominator: pd.Series, scm: pd.Series, intervals: dict, stream
           ) -> tuple[float, float, float]:
    """sum(numerator) / sum(denominator) over pairs, with the bootstrap interval of that ratio over SCMs."""
    top = numerator.groupby(scm).sum()
    bottom = denominator.groupby(scm).sum()
    if not bottom.sum() > 0:
        return math.nan, math.nan, math.nan
    lo, hi = bootstrap_interval(top.to_numpy(), intervals["replicates"], intervals["level"], stream,
                                counts=bottom.to_numpy())
    return float(top.sum() / bottom.sum()), lo, hi


def collect(rows: list[dict], metric_files: dict[tuple[str, str], str | Path], intervals: dict,
            seed: int, densities: dict[tuple[str, str], pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per (family, method) with a metrics file. Columns key, data, method, label, scms, pairs,
    energy_score with _lo/_hi/_p/_better, spread_other, spread_target, coverage50, coverage90 (each with _lo/_hi),
    the PIT histogram pit_00..pit_19 (counts summed over pairs) and, where ``densities`` ((method, family) -> frame
    with columns scm, nll) has the method, nll with _lo/_hi and nll_scms."""
    densities = densities or {}
    records = []
    for row in rows:
        loaded = {m: read_metrics(path) for (m, k), path in metric_files.items() if k == row["key"]}
        if not loaded:
            continue
        order = table_order(loaded, {m: sees_of(m, meta) for m, (_, meta) in loaded.items()})
        frames = {m: loaded[m][0] for m in order}
        scores = cell_stats(frames, ["energy_score"], intervals, seed, f"calibration/{row['key']}")
        for method in order:
            frame, label = frames[method], label_of(method, loaded[method][1])
            record = {"key": row["key"], "data": row["label"], "method": method, "label": label,
                      "scms": frame["scm"].nunique(), "pairs": len(frame), **scores[method]}
            stream = lambda name: seed_sequence(seed, "calibration", row["key"], method, name)
            for name, top, bottom in RATIOS:
                value, lo, hi = _ratio(frame[top].fillna(0.0), frame[bottom].fillna(0.0), frame["scm"], intervals,
                                       stream(name))
                record.update({name: value, f"{name}_lo": lo, f"{name}_hi": hi})
            total = pd.Series(frame[list(PIT_COLUMNS)].to_numpy().sum(axis=1), index=frame.index)
            for level in LEVELS:
                name = f"coverage{round(100 * level)}"
                value, lo, hi = _ratio(pd.Series(_inside(frame, level), index=frame.index), total, frame["scm"],
                                       intervals, stream(name))
                record.update({name: value, f"{name}_lo": lo, f"{name}_hi": hi})
            record.update(frame[list(PIT_COLUMNS)].sum().astype(np.int64).to_dict())
            if (method, row["key"]) in densities:
                per_scm = densities[(method, row["key"])].groupby("scm")["nll"].mean()
                lo, hi = bootstrap_interval(per_scm.to_numpy(), intervals["replicates"], intervals["level"],
                                            stream("nll"))
                record.update(nll=float(per_scm.mean()), nll_lo=lo, nll_hi=hi, nll_scms=len(per_scm))
            else:
                record.update(nll=math.nan, nll_lo=math.nan, nll_hi=math.nan, nll_scms=0)
            records.append(record)
    return pd.DataFrame.from_records(records)


def _rows(table: pd.DataFrame, bold, pm: str, dash: str) -> list[list[str]]:
    plain = lambda t: t
    out = []
    for _, family in table.groupby("key", sort=False):
        for i, (_, r) in enumerate(family.iterrows()):
            cells = [r["data"] if i == 0 else "", r["label"], f"{r['scms']:,}",
                     format_cell(r["energy_score"], r["energy_score_lo"], r["energy_score_hi"],
                                 r["energy_score_better"], 3, bold, pm, dash)]
            for name in ("spread_other", "spread_target", "coverage50", "coverage90"):
                cells.append(format_cell(r[name], r[f"{name}_lo"], r[f"{name}_hi"], False, 2, plain, pm, dash))
            nll = format_cell(r["nll"], r["nll_lo"], r["nll_hi"], False, 2, plain, pm, dash)
            cells.append(nll if math.isnan(r["nll"]) else f"{nll} ({int(r['nll_scms']):,})")
            out.append(cells)
    return out


def notes(intervals: dict) -> str:
    return (f"Energy score: {interval_note(intervals)} The energy score (Gneiting & Raftery 2007) is a strictly "
            "proper score of the joint prediction: E|X - y| - E|X - X'|/2 for a prediction X and a true sample y, "
            "averaged over the true samples (the fair ensemble form), in data units. Spread: the sum over pairs of "
            "the predicted samples' standard deviations over the true samples' (other: averaged over the "
            "non-target variables; target: the intervened one; – where the truth does not vary, SERGIO's "
            "knockouts), 1 = as wide as one SCM's truth. A prediction uncertain about the causal model may be "
            "wider than one SCM's truth and still better: the proper score decides, the ratio is a reading. "
            "Coverage: the share of the true values of the non-target variables inside the central 50 % / 90 % "
            "interval of the predicted marginal (randomised PIT), 0.50 / 0.90 for a prediction distributed as the "
            "truth; below: too narrow or off-centre, above: too wide. Ratios and coverages: ± half the bootstrap "
            "interval of the ratio of sums over test SCMs. -log p: held-out negative log density per sample (nats, "
            "all variables) of the true samples under the predicted mixture, on a fixed random subset of the test "
            "SCMs (their number in brackets; the same subset as DoWhy GCM's when the sizes agree), only where the "
            "method has a density: ACTIVA's mixture; the others set V_t exactly or resample. Truth resample is a second draw of the same SCM (on the "
            "linear families exchangeable with the truth, so nominal by construction); on SERGIO a run's cells are "
            "snapshots of one trajectory, so a second run is not, and truth pooled is the reference.")


def to_markdown(table: pd.DataFrame, intervals: dict) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|" + "---:|" * (len(HEADER) - 2)]
    lines += ["| " + " | ".join(c) + " |" for c in _rows(table, lambda t: f"**{t}**", " ± ", "–")]
    return "\n".join(lines + ["", notes(intervals), ""])


def to_latex(table: pd.DataFrame, intervals: dict) -> str:
    lines = [r"\begin{tabular}{llr" + "r" * (len(HEADER) - 3) + "}", r"\toprule", " & ".join(HEADER).replace(
        "%", r"\%") + r" \\", r"\midrule"]
    for cells in _rows(table, lambda t: rf"\textbf{{{t}}}", r"\,{\scriptsize$\pm$", "--"):
        lines.append(" & ".join([latex_escape(c) for c in cells[:3]] + [close_pm(c) for c in cells[3:]]) + r" \\")
    return "\n".join(lines + [r"\bottomrule", r"\end{tabular}", ""])


def write(table: pd.DataFrame, prefix: str | Path, intervals: dict) -> list[Path]:
    """``<prefix>.csv``, ``.md`` and ``.tex``."""
    return write_formats(table, prefix, to_markdown(table, intervals), to_latex(table, intervals))


HISTOGRAM_METHODS = ("activa", "baseline", "truth_resample")  # drawn as PIT histograms


def figure(table: pd.DataFrame, paths: list[str | Path]) -> None:
    """Per family (columns): the PIT histograms of ``HISTOGRAM_METHODS`` (top) and every method's coverage of
    the central interval at each level 0.1 ... 1.0 (bottom; the diagonal is nominal)."""
    import matplotlib.pyplot as plt

    from activa.report.style import METHOD_COLOURS, PAGE_IN, paper_style, save

    families = list(dict.fromkeys(table["key"]))
    edges = np.linspace(0, 1, PIT_BINS + 1)
    levels = np.arange(1, PIT_BINS // 2 + 1) * 2 / PIT_BINS
    with paper_style():
        fig, axes = plt.subplots(2, max(1, len(families)), figsize=(PAGE_IN, 3.0), squeeze=False, sharey="row")
        for j, key in enumerate(families):
            rows = table[table["key"] == key].set_index("method")
            top, bottom = axes[0, j], axes[1, j]
            top.set_title(rows["data"].iloc[0])
            for method in HISTOGRAM_METHODS:
                if method in rows.index:
                    counts = rows.loc[method, list(PIT_COLUMNS)].to_numpy(np.float64)
                    top.stairs(counts / max(counts.sum(), 1) * PIT_BINS, edges, label=rows.loc[method, "label"],
                               color=METHOD_COLOURS.get(method, "0.5"))
            top.axhline(1.0, color="0.6", lw=0.6, ls=":")
            top.set_xlabel("PIT")
            bottom.plot([0, 1], [0, 1], color="0.6", lw=0.6, ls=":")
            for method, row in rows.iterrows():
                counts = row[list(PIT_COLUMNS)].to_numpy(np.float64)
                cover = [counts[k:PIT_BINS - k].sum() / max(counts.sum(), 1)
                         for k in (int(round((1 - a) / 2 * PIT_BINS)) for a in levels)]
                bottom.plot(levels, cover, marker=".", ms=2, lw=0.8, label=row["label"],
                            color=METHOD_COLOURS.get(method, "0.5"))
            bottom.set_xlabel("nominal level")
        axes[0, 0].set_ylabel("PIT density")
        axes[1, 0].set_ylabel("coverage")
        axes[0, 0].legend(loc="upper center", frameon=False)
        fig.tight_layout(rect=(0, 0.1, 1, 1))
        handles, labels = axes[1, -1].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=5, frameon=False)
        save(fig, paths)
