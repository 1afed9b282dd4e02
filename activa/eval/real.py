"""Scoring on real interventions (``sachs`` families, ``activa.data.sachs``): every method against the measured cells.

The interventions are soft (an inhibitor changes a protein's activity, not its measured level), so every score is
on the **non-target** proteins of a condition. Per method, draw s (a "SCM" of the split) and condition r:

- ``mmd``, ``wsd``, ``erg``: the configured distances (``metrics``, as Table 1) between the method's N predicted
  cells and the draw's N measured cells of the condition (its half A), on the d - 1 non-target proteins;
- ``shift_err``: the mean over non-targets of |predicted shift - measured shift|, the predicted shift being the
  prediction's mean less the mean of the draw's N observational cells (the method's input), the measured shift the
  mean of half A less the mean of all the reference cells (``<split>.means.parquet``);
- ``sign``: the share of non-targets whose predicted shift has the measured shift's sign (a zero shift counts
  one half, a coin's chance: no effect scores 0.5);
- ``spearman``: the rank correlation of predicted against measured shifts over the non-targets (0 when the
  prediction's shifts are all equal, as no effect's).

The floor is the condition's other half of the cells (``truth_pooled`` on a Sachs family: N cells of half B); no
effect is what every method must beat. A cell is the mean over draws with a percentile-bootstrap interval over draws;
it is bold when a paired one-sided Wilcoxon test over the draws it shares with no effect finds it better
(``intervals.alpha``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from activa.data.format import Samples, TrueMeans
from activa.eval import intervals as iv
from activa.eval.scoring import pair_arrays, score_arrays, subset_rows

DISTANCES = ("mmd", "wsd", "erg")
SCORES = (*DISTANCES, "shift_err", "sign", "spearman")
HIGHER_IS_BETTER = {"sign", "spearman"}
HEADERS = {"mmd": "MMD", "wsd": "WSD", "erg": "ERG", "shift_err": "shift error", "sign": "sign agreement",
           "spearman": "rank corr."}
FLOOR, CEILING = "truth_pooled", "no_effect"


def _non_target(samples: np.ndarray, target: np.ndarray) -> np.ndarray:
    """samples [S, R, N, d] -> [S, R, N, d - 1]: each regime without its target's column."""
    S, R, N, d = samples.shape
    keep = np.arange(d)[None, :] != target[:, None]  # [R, d]
    return np.stack([samples[:, r][..., keep[r]] for r in range(R)], axis=1)


def shift_scores(predicted: np.ndarray, measured: np.ndarray) -> dict[str, np.ndarray]:
    """shift_err, sign and spearman per pair from predicted and measured shifts [P, k] of the k non-targets."""
    agree = np.where(predicted == 0, 0.5, (np.sign(predicted) == np.sign(measured)).astype(np.float64))
    rho = np.zeros(len(predicted))
    for i, (a, b) in enumerate(zip(predicted, measured)):
        if np.ptp(a) > 0 and np.ptp(b) > 0:
            rho[i] = stats.spearmanr(a, b).statistic
    return {"shift_err": np.abs(predicted - measured).mean(axis=1), "sign": agree.mean(axis=1), "spearman": rho}


def _paired(truth: Samples, means: TrueMeans, pred: Samples, name: str):
    """``pred`` aligned with the truth (``scoring.pair_arrays``: every draw or a declared subset): measured cells x
    [S, R, N, d], predicted cells y [S, R, M, d], predicted and measured shifts [S, R, d], targets [R]."""
    x, y, idx = pair_arrays(truth, pred, "truth", name)
    rows = subset_rows(truth, pred, "truth", name)
    rows = np.arange(len(truth.scm)) if rows is None else rows
    S, R = pred.samples.shape[:2]
    x, y = x.reshape(S, R, *x.shape[1:]), y.reshape(S, R, *y.shape[1:])
    observational = np.flatnonzero(truth.target < 0)[0]
    predicted = y.mean(axis=2) - truth.samples[rows, observational].astype(np.float64).mean(axis=1)[:, None]
    measured = means.mean[rows][:, idx] - means.mean[rows][:, observational][:, None]
    return x, y, predicted, measured, pred.target.astype(np.int64)


def score_method(truth: Samples, means: TrueMeans, pred: Samples, metrics_config: dict, seed: int,
                 name: str = "predictions") -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray]]:
    """(one row per (draw, condition) of ``pred``: scm, regime, target and ``SCORES`` (module docstring); the
    predicted and measured shifts [R_int, d] averaged over the draws, NaN on the target: the figure's points)."""
    x, y, predicted, measured, target = _paired(truth, means, pred, name)
    x, y = _non_target(x, target), _non_target(y, target)
    S, R, _, k = x.shape
    values = score_arrays(x.reshape(S * R, *x.shape[2:]), y.reshape(S * R, *y.shape[2:]), metrics_config, seed,
                          progress=False, include=DISTANCES)
    shift_values = shift_scores(_non_target(predicted[:, :, None], target).reshape(S * R, k),
                                _non_target(measured[:, :, None], target).reshape(S * R, k))
    frame = pd.DataFrame({"scm": np.repeat(pred.scm, R).astype(np.int32), "regime": np.tile(pred.regime, S),
                          "target": np.tile(target, S)})
    for column in DISTANCES:
        frame[column] = np.asarray(values[column], np.float64)
    for column, value in shift_values.items():
        frame[column] = value
    points = predicted.mean(axis=0), measured.mean(axis=0)
    for shift in points:
        shift[np.arange(R), target] = np.nan
    return frame, points


def summarise(frames: dict[str, pd.DataFrame], conditions: dict[int, str], intervals: dict, seed: int
              ) -> pd.DataFrame:
    """The table: one row per (condition, method), and per method over all conditions (condition "all"): each
    score's mean over draws, its interval (``<score>_lo``, ``<score>_hi``), the draws, and whether it beats no
    effect (``<score>_better``, with the p-value ``<score>_p``)."""
    records = []
    for label, keep in [(name, regime) for regime, name in conditions.items()] + [("all", None)]:
        per_draw = {}
        for method, frame in frames.items():
            part = frame if keep is None else frame[frame["regime"] == keep]
            per_draw[method] = part.groupby("scm", sort=True)[list(SCORES)].mean()
        for method, table in per_draw.items():
            record = {"condition": label, "method": method, "draws": len(table)}
            for score in SCORES:
                values = table[score]
                stream = np.random.SeedSequence([seed, len(records), SCORES.index(score)])
                lo, hi = iv.bootstrap_interval(values.to_numpy(), intervals["replicates"], intervals["level"], stream)
                record.update({score: float(values.mean()), f"{score}_lo": lo, f"{score}_hi": hi})
                if method != CEILING and CEILING in per_draw:
                    sign = -1.0 if score in HIGHER_IS_BETTER else 1.0
                    p, shift = iv.wilcoxon_less(sign * values, sign * per_draw[CEILING][score])
                    record[f"{score}_p"] = p
                    record[f"{score}_better"] = bool(p < intervals["alpha"] and shift < 0)
                else:
                    record[f"{score}_p"], record[f"{score}_better"] = np.nan, False
            records.append(record)
    return pd.DataFrame(records)
