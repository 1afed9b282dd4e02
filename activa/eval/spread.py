"""Calibration of a predicted distribution against the truth's samples: its spread and its quantiles.

Per (SCM, interventional regime) pair, truth x [P, n, d] and prediction y [P, m, d] (the layout of
``activa.eval.metrics``), target [P] the intervened variable:

- **spread**: per variable the standard deviation (ddof = 1) of the predicted and of the true samples, for the
  target and averaged over the other variables (``spreads``). A family's spread ratio is sum(predicted) /
  sum(true) over its pairs (> 1: too wide). An honest prediction under uncertainty about the causal model can be
  wider than one SCM's truth, so a ratio of 1 is a reading, not a target; the energy score
  (``metrics.energy_score``, proper) is what ranks predictions.
- **PIT** (probability integral transform) of every true value of a non-target variable under the predicted
  marginal, randomised: u = (#{y_i < x} + V (#{y_i = x} + 1)) / (m + 1), V ~ U(0, 1). When the true sample and
  the m predicted ones are exchangeable (another draw from the same distribution: ``truth_resample`` on the
  linear families) u is exactly uniform on (0, 1), ties included (the randomised PIT of Czado, Gneiting & Held,
  Biometrics 2009; the rank histogram of Hamill, MWR 2001). ``pit_counts`` counts u in ``PIT_BINS`` bins of width
  1 / PIT_BINS; the coverage of the central interval at level a is the share of u in [(1 - a) / 2, (1 + a) / 2]
  (``coverage``: 0.5 and 0.9 fall on bin edges). A U-shaped histogram (coverage below the level) means a
  prediction too narrow or off-centre, a hump (above the level) one too wide.
"""

from __future__ import annotations

import numpy as np

PIT_BINS = 20
PIT_COLUMNS = tuple(f"pit_{k:02d}" for k in range(PIT_BINS))
SPREAD_COLUMNS = ("spread_true_target", "spread_pred_target", "spread_true_other", "spread_pred_other")
_CHUNK_VALUES = 2**24  # comparisons per chunk of pairs


def _other_mask(target: np.ndarray, d: int) -> np.ndarray:
    """[P, d]: True for the variables that are not the pair's target."""
    return np.arange(d)[None, :] != np.asarray(target)[:, None]


def spreads(x: np.ndarray, y: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    """Standard deviations (ddof = 1) per pair: truth x [P, n, d], prediction y [P, m, d], target [P] ->
    ``SPREAD_COLUMNS`` -> [P] (the target's; the mean over the other variables, NaN when d = 1)."""
    d = x.shape[2]
    true_sd, pred_sd = x.std(axis=1, ddof=1), y.std(axis=1, ddof=1)  # [P, d]
    rows = np.arange(len(target))
    other = _other_mask(target, d)
    with np.errstate(invalid="ignore"):
        mean_other = lambda sd: np.where(other, sd, 0.0).sum(axis=1) / (d - 1) if d > 1 else np.full(len(sd), np.nan)
        return {"spread_true_target": true_sd[rows, target], "spread_pred_target": pred_sd[rows, target],
                "spread_true_other": mean_other(true_sd), "spread_pred_other": mean_other(pred_sd)}


def pit_values(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Randomised PIT [P, n, d] of every true value x [P, n, d] under the predicted marginals y [P, m, d]."""
    P, n, d = x.shape
    m = y.shape[1]
    uniform = rng.random((P, n, d))
    out = np.empty((P, n, d))
    step = max(1, _CHUNK_VALUES // max(1, n * m * d))
    for start in range(0, P, step):
        xs, ys = x[start:start + step, :, None, :], y[start:start + step, None, :, :]  # [c, n, 1, d], [c, 1, m, d]
        below = (ys < xs).sum(axis=2)
        ties = (ys == xs).sum(axis=2)
        out[start:start + step] = (below + uniform[start:start + step] * (ties + 1)) / (m + 1)
    return out


def pit_counts(x: np.ndarray, y: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """[P, PIT_BINS] counts of the randomised PIT of the true values of every non-target variable (module
    docstring): truth x [P, n, d], prediction y [P, m, d], target [P]."""
    P, n, d = x.shape
    u = pit_values(x, y, rng)
    bins = np.minimum((u * PIT_BINS).astype(np.int64), PIT_BINS - 1)  # [P, n, d]
    keep = np.broadcast_to(_other_mask(target, d)[:, None, :], bins.shape)
    flat = (np.arange(P)[:, None, None] * PIT_BINS + bins)[keep]
    return np.bincount(flat, minlength=P * PIT_BINS).reshape(P, PIT_BINS)


def coverage(counts: np.ndarray, level: float) -> np.ndarray:
    """Share of PIT values inside the central interval at ``level`` (0.5, 0.9: any multiple of 2 / PIT_BINS):
    counts [..., PIT_BINS] -> [...] (NaN where there are no counts)."""
    lo = (1 - level) / 2 * PIT_BINS
    if not np.isclose(lo, round(lo)):
        raise ValueError(f"level {level}: the central interval's edges must fall on the {PIT_BINS} PIT bins' edges")
    lo = int(round(lo))
    counts = np.asarray(counts, np.float64)
    total = counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, counts[..., lo:PIT_BINS - lo].sum(axis=-1) / total, np.nan)
