"""How each model was set to predict: its candidates' validation scores (results/tables/inference_settings).

One row per (variant, candidate) from the ``select-inference`` stage's CSVs (``activa.eval.selection``): the mean
validation energy score with its bootstrap interval over validation SCMs, the one-sided Wilcoxon p-value of
beating the default (dropout off, no scale), the fitted scales, the spread ratios and PIT coverages, the held-out
-log p per sample (a reading: the rule does not use it); the chosen candidate marked.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from activa.data.format import DataError
from activa.eval.selection import RULE
from activa.report.tables import write_formats

COLUMNS = ("name", "dropout", "scale_target", "scale_other", "energy_score", "energy_score_lo", "energy_score_hi",
           "p_vs_default", "spread_ratio_other", "spread_ratio_target", "coverage50", "coverage90", "chosen",
           "variant", "family")
HEADER = ["Model", "Validation data", "Candidate", "Scale (target / other)", "Energy score", "p vs off",
          "Spread, other", "Spread, target", "Coverage 50%", "Coverage 90%", "-log p"]


def collect(frames: dict[str, pd.DataFrame], labels: dict[str, str]) -> pd.DataFrame:
    """The candidates of every model (frames: source name -> its CSV frame), in the given order, with the
    validation family's label (``labels``: family -> label)."""
    parts = []
    for name, frame in frames.items():
        missing = sorted(set(COLUMNS) - set(frame.columns))
        if missing:
            raise DataError(f"{name}: missing column(s) {missing} (written by select-inference)")
        frame = frame if "nll" in frame.columns else frame.assign(nll=float("nan"))  # tables before -log p
        parts.append(frame.assign(data=[labels.get(f, f) for f in frame["family"]]))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*COLUMNS, "data"])


def _fmt(value: float, digits: int) -> str:
    return "–" if pd.isna(value) else f"{value:.{digits}f}"


def to_markdown(table: pd.DataFrame, alpha: float | None) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|---|" + "---:|" * (len(HEADER) - 3)]
    for _, group in table.groupby("variant", sort=False):
        for i, (_, r) in enumerate(group.iterrows()):
            name = f"**{r['name']}** (chosen)" if r["chosen"] else r["name"]
            scale = f"{r['scale_target']:.3g} / {r['scale_other']:.3g}" if r["name"].endswith("_scaled") else "–"
            score = f"{r['energy_score']:.4f} [{r['energy_score_lo']:.4f}, {r['energy_score_hi']:.4f}]"
            p = "–" if pd.isna(r["p_vs_default"]) else f"{r['p_vs_default']:.2g}"
            lines.append("| " + " | ".join([r["variant"] if i == 0 else "", r["data"] if i == 0 else "", name, scale,
                                            score, p, _fmt(r["spread_ratio_other"], 2),
                                            _fmt(r["spread_ratio_target"], 2), _fmt(r["coverage50"], 2),
                                            _fmt(r["coverage90"], 2), _fmt(r["nll"], 2)]) + " |")
    level = "" if alpha is None else f" (alpha = {alpha:g})"
    note = (f"Each model's inference setting, chosen on the validation split of its training family. Rule: {RULE}"
            f"{level}. Energy score: mean over the validation queries, [95 % bootstrap interval over validation "
            "SCMs]; p vs off: one-sided Wilcoxon signed-rank test, paired by validation SCM, of the candidate's "
            "score being below the default's. Candidates: dropout off (Flax's deterministic network), decoder (each "
            "decoded latent with its own dropout masks), all (the embedding too); _scaled: the decoded covariances "
            "become D Sigma D, D = 1 on the target's row and the other variables' scale (fitted on the same split by "
            "the energy score) elsewhere. Spread: predicted over true standard deviation; coverage: of the central 50 % / 90 % predicted "
            "intervals by the true values of the non-target variables (activa/eval/spread.py); -log p: the predicted "
            "mixture's mean negative log density per true sample, in nats (activa/eval/density.py), read only.")
    return "\n".join(lines + ["", note, ""])


def write(table: pd.DataFrame, prefix: str | Path, alpha: float | None) -> list[Path]:
    """``<prefix>.csv``, ``.md`` and ``.tex`` (LaTeX: the Markdown table's rows)."""
    text = to_markdown(table, alpha)
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    latex = "\n".join([r"\begin{tabular}{lll" + "r" * (len(HEADER) - 3) + "}", r"\toprule"]
                      + [" & ".join(c.strip().replace("**", "").replace("%", r"\%").replace("_", r"\_")
                                    for c in row) + r" \\" + (r" \midrule" if k == 0 else "")
                         for k, row in enumerate(rows)] + [r"\bottomrule", r"\end{tabular}", ""])
    return write_formats(table, prefix, text, latex)
