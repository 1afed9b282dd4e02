"""The table and figure of a real-data family (``results/tables/<family>.{csv,md,tex}``,
``results/figures/<family>_shifts.{pdf,png}``): every method per condition, between the floor (the condition's
other half of the cells) and no effect; the scores are ``activa.eval.real``'s."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from activa.data.format import write_csv, write_text
from activa.eval import methods as registry
from activa.eval.real import CEILING, FLOOR, HEADERS, HIGHER_IS_BETTER, SCORES
from activa.report.style import METHOD_COLOURS, PAGE_IN, paper_style, save
from activa.report.tables import format_cell, latex_escape

DIGITS = {"mmd": 3, "wsd": 2, "erg": 3, "shift_err": 2, "sign": 2, "spearman": 2}


def label(method: str, meta: dict | None = None) -> str:
    """A method's name in the real-data table (the floor is the other half of the measured cells)."""
    if method == FLOOR:
        return "measured, other half (floor)"
    if method == CEILING:
        return "no effect (to beat)"
    if (meta or {}).get("variant"):  # an ACTIVA model: name the variant, whose training family it fits
        return f"ACTIVA ({meta['variant']} model)" if method == "activa" else f"ACTIVA v1 ({meta['variant']} model)"
    return registry.label_of(method, meta)


def order(methods: list[str]) -> list[str]:
    """The table's order: the floor, no effect, then as the other tables (``methods.table_order``)."""
    rest = registry.table_order([m for m in methods if m not in (FLOOR, CEILING)])
    return [m for m in (FLOOR, CEILING) if m in methods] + rest


def note(intervals: dict, n_draws: int, n_cells: int) -> str:
    level = f"{intervals['level']:.0%}"
    return (f"Each cell: the mean over draws of N = {n_cells} reference cells (the methods' input) and N measured "
            f"cells of the condition, on the non-target proteins, ± half the {level} bootstrap interval over draws "
            f"({intervals['replicates']} resamples; {n_draws} draws, fewer where the draws column says so). Shift "
            "error: mean |predicted - measured| shift of the non-target proteins' means; sign agreement: the share "
            "of them whose shift has the measured sign (a zero shift counts one half); rank corr.: Spearman's "
            "between predicted and measured shifts. Lower is better but for sign agreement and rank corr. Bold: "
            f"better than no effect by a one-sided Wilcoxon signed-rank test paired by draw, p < {intervals['alpha']:g}. "
            "The floor is the condition's other half of the cells, what a perfect prediction of the condition "
            "would score.")


def _rows(table: pd.DataFrame, labels: dict[str, str], bold, pm: str, dash: str) -> list[list[str]]:
    out = []
    for _, row in table.iterrows():
        cells = [row["condition"], labels[row["method"]], str(int(row["draws"]))]
        for score in SCORES:
            cells.append(format_cell(row[score], row[f"{score}_lo"], row[f"{score}_hi"], row[f"{score}_better"],
                                     DIGITS[score], bold, pm, dash))
        out.append(cells)
    return out


def write(table: pd.DataFrame, out_prefix: Path, intervals: dict, labels: dict[str, str], title: str,
          n_draws: int, n_cells: int) -> None:
    """``<prefix>.csv`` (every number), ``.md`` and ``.tex``."""
    out_prefix = Path(out_prefix)
    write_csv(out_prefix.with_suffix(".csv"), table)
    header = ["Condition", "Method", "Draws", *(HEADERS[s] + (" ↑" if s in HIGHER_IS_BETTER else " ↓") for s in SCORES)]
    lines = [f"# {title}", "", "| " + " | ".join(header) + " |",
             "|" + "|".join(["---", "---", "---:"] + ["---:"] * len(SCORES)) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in _rows(table, labels, lambda t: f"**{t}**", " ± ", "–")]
    write_text(out_prefix.with_suffix(".md"), "\n".join(lines) + "\n\n" + note(intervals, n_draws, n_cells) + "\n")
    tex = [r"\begin{tabular}{ll r " + "r" * len(SCORES) + "}", r"\toprule",
           " & ".join(["Condition", "Method", "Draws", *(HEADERS[s] for s in SCORES)]) + r" \\", r"\midrule"]
    tex += [" & ".join(latex_escape(c) if i < 2 else c for i, c in enumerate(cells)) + r" \\"
            for cells in _rows(table, labels, lambda t: rf"\textbf{{{t}}}", r" $\pm$ ", "--")]
    tex += [r"\bottomrule", r"\end{tabular}"]
    write_text(out_prefix.with_suffix(".tex"), "\n".join(tex) + "\n")


def colour(method: str) -> str:
    """A method's colour: the floor black, a v1 model wine red, else the pipeline's colours."""
    if method == FLOOR:
        return "#000000"
    return METHOD_COLOURS.get(method, "#882255")


def figure(points: dict[str, tuple[np.ndarray, np.ndarray]], conditions: list[str], labels: dict[str, str],
           paths: list[Path], title: str) -> None:
    """Predicted against measured shift of every non-target protein, one panel per condition, one colour per method
    (points: method -> (predicted, measured) [R_int, d], NaN on the target); the legend in the last panel."""
    import matplotlib.pyplot as plt

    with paper_style():
        n = len(conditions)
        cols = 3
        rows = n // cols + 1  # one more panel than conditions: the legend's
        fig, axes = plt.subplots(rows, cols, figsize=(PAGE_IN, PAGE_IN / cols * rows * 1.05), squeeze=False)
        span = np.nanmax(np.abs([p for pair in points.values() for p in pair])) * 1.05
        for r, ax in enumerate(axes.flat):
            if r >= n:
                ax.axis("off")
                continue
            measured = next(iter(points.values()))[1][r]
            ax.plot([-span, span], [-span, span], color="0.7", lw=0.6, zorder=0)
            ax.axhline(0, color="0.85", lw=0.5, zorder=0)
            ax.axvline(0, color="0.85", lw=0.5, zorder=0)
            for method, (predicted, _) in points.items():
                ax.scatter(measured, predicted[r], s=8, color=colour(method), label=labels[method], alpha=0.85,
                           linewidths=0)
            name, _, query = conditions[r].partition(" (")
            ax.set_title(f"{name}\n{query.rstrip(')') + ')' if query else ''}", fontsize=6)
            ax.set_xlim(-span, span)
            ax.set_ylim(-span, span)
            ax.set_aspect("equal")
            ax.set_xlabel("measured shift")
            if r % cols == 0:
                ax.set_ylabel("predicted shift")
        handles, names = axes.flat[0].get_legend_handles_labels()
        axes.flat[n].legend(handles, names, loc="center", frameon=False)
        fig.suptitle(title, fontsize=7)
        fig.tight_layout()
        save(fig, paths)
