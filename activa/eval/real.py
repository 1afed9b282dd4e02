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

from activa.data.format import DataError, Samples, TrueMeans
from activa.eval import intervals as iv
from activa.eval.scoring import score_arrays

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


def score_method(truth: Samples, means: TrueMeans, pred: Samples, metrics_config: dict, seed: int,
                 name: str = "predictions") -> pd.DataFrame:
    """One row per (draw, condition) of ``pred``: scm, regime, target and ``SCORES`` (module docstring)."""
    rows = np.searchsorted(truth.scm, pred.scm)
    if (rows >= len(truth.scm)).any() or not np.array_equal(truth.scm[np.minimum(rows, len(truth.scm) - 1)], pred.scm):
        raise DataError(f"{name}: column 'scm' lists draws the truth does not have")
    inter = truth.interventional
    if not (np.array_equal(pred.regime, truth.regime[inter]) and np.array_equal(pred.target, truth.target[inter])):
        raise DataError(f"{name}: its regimes {pred.regime.tolist()} are not the truth's {truth.regime[inter].tolist()}")
    if pred.samples.shape[2:] != truth.samples.shape[2:]:
        raise DataError(f"{name}: samples of shape {pred.samples.shape[2:]} per query, the truth's are "
                        f"{truth.samples.shape[2:]} (N, d)")
    target = truth.target[inter].astype(np.int64)
    x = _non_target(truth.samples[rows][:, inter].astype(np.float64), target)
    y = _non_target(pred.samples.astype(np.float64), target)
    S, R, N, k = x.shape
    values = score_arrays(x.reshape(S * R, N, k), y.reshape(S * R, N, k), metrics_config, seed, progress=False,
                          include=DISTANCES)
    observed = truth.samples[rows][:, np.flatnonzero(truth.target < 0)[0]].astype(np.float64).mean(axis=1)  # [S, d]
    m_rows = np.searchsorted(means.scm, pred.scm)
    reference_mean = means.mean[m_rows][:, 0]  # [S, d]: every reference cell
    measured = _non_target((means.mean[m_rows][:, inter] - reference_mean[:, None])[:, :, None], target)
    predicted = _non_target((pred.samples.astype(np.float64).mean(axis=2) - observed[:, None])[:, :, None], target)
    shift_values = shift_scores(predicted.reshape(S * R, k), measured.reshape(S * R, k))
    frame = pd.DataFrame({"scm": np.repeat(pred.scm, R).astype(np.int32), "regime": np.tile(pred.regime, S),
                          "target": np.tile(target, S)})
    for column in DISTANCES:
        frame[column] = np.asarray(values[column], np.float64)
    for column, value in shift_values.items():
        frame[column] = value
    return frame


def shifts(truth: Samples, means: TrueMeans, pred: Samples) -> tuple[np.ndarray, np.ndarray]:
    """(predicted, measured) shifts [R_int, d] averaged over ``pred``'s draws (the figure's points; NaN on the
    target)."""
    rows = np.searchsorted(truth.scm, pred.scm)
    inter = truth.interventional
    observed = truth.samples[rows][:, np.flatnonzero(truth.target < 0)[0]].astype(np.float64).mean(axis=1)
    predicted = (pred.samples.astype(np.float64).mean(axis=2) - observed[:, None]).mean(axis=0)
    m_rows = np.searchsorted(means.scm, pred.scm)
    measured = (means.mean[m_rows][:, inter] - means.mean[m_rows][:, :1]).mean(axis=0)
    target = truth.target[inter]
    for r, t in enumerate(target):
        predicted[r, t] = measured[r, t] = np.nan
    return predicted, measured


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
