"""Choosing how a trained model predicts, on its validation split (issue: calibrated predictions).

The papers do not say how ACTIVA predicts: with dropout off (Flax's deterministic network) or as trained, nor
whether its spread is rescaled. ``select`` compares candidate inference settings (``InferenceSetting``) on the
validation split of the model's training family (simulated like the test split from its own seed stream, never
trained on nor reported in the tables) and applies the declared rule:

    RULE: every candidate is scored by its mean energy score over the validation queries (a strictly proper
    score of the joint prediction, ``metrics.energy_score``); among the candidates that a paired one-sided
    Wilcoxon signed-rank test over validation SCMs finds below the default (dropout off, no scale) at level
    ``alpha``, the one with the lowest mean is chosen; if there is none, the default stays.

Candidates: each configured dropout mode, unscaled and with a fitted spread scale (the decoded covariances become
D Sigma D, D = diag(scale_target on the target's row, scale_other on the others')): the other variables' scale is
fitted on the same validation queries by minimising the mean energy score, by golden-section search over
log2(scale) in [-2, 3]; the target's stays 1 (``fit_scale``).
Every candidate's draws come from the same random stream (``predict_seed(seed, "validation", variant)``), so their differences are the settings'.
Readings beside the score (not used by the rule): the spread ratio and the PIT coverage of the central 50 % and
90 % intervals of the non-target variables (``activa.eval.spread``), and the held-out -log p per sample of the
truth under the predicted mixture (``activa.eval.density``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from activa.data.format import Samples
from activa.eval import density, intervals, spread
from activa.eval.metrics import energy_score
from activa.model.inference import InferenceSetting, predict_queries, row_scale, split_queries

RULE = ("the lowest mean validation energy score among the candidates that a paired one-sided Wilcoxon test over "
        "validation SCMs finds below the default (dropout off, no scale) at level alpha; none: the default")
DEFAULT = InferenceSetting()
SCORER = ("energy score over the validation queries; scale_other by golden section over log2 in [-2, 3], tol 0.02; "
          "-log p per sample")
"""How ``candidates`` scores (a model file's stored scores are reused only if made the same way)."""
COLUMNS = ("name", "dropout", "scale_target", "scale_other", "energy_score", "spread_ratio_other",
           "spread_ratio_target", "coverage50", "coverage90", "nll", "energy_score_lo", "energy_score_hi",
           "p_vs_default")
SCALE_BOUNDS = (-2.0, 3.0)  # log2(scale): 0.25 to 8
SCALE_TOLERANCE = 0.02  # golden-section stops when the log2 bracket is this narrow


def _golden(objective, lo: float, hi: float, tolerance: float) -> float:
    """argmin of a unimodal ``objective`` on [lo, hi] by golden-section search."""
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = lo, hi
    c, e = b - ratio * (b - a), a + ratio * (b - a)
    fc, fe = objective(c), objective(e)
    while b - a > tolerance:
        if fc <= fe:
            b, e, fe = e, c, fc
            c = b - ratio * (b - a)
            fc = objective(c)
        else:
            a, c, fc = c, e, fe
            e = a + ratio * (b - a)
            fe = objective(e)
    return (a + b) / 2.0


def fit_scale(x: np.ndarray, centres: np.ndarray, deviations: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """(scale_target, scale_other) = (1, the scale of the other variables' deviations minimising the mean energy
    score of centres + D deviations), each [P, m, d], for truths x [P, n, d]; golden-section search over
    log2(scale_other) in SCALE_BOUNDS.

    The target's scale stays 1: its spread is the query's (v plus the family's jitter), which every model predicts
    within a few per cent (validation spread ratios 0.98-1.07 on the linear families), and the joint score cannot
    pin it down while the other variables are off: fitted by itself on Gauss 8's validation split it went to either
    bound (0.25 with dropout in the decoder, 4 with dropout off) for scores within 1 %.
    """
    d = x.shape[2]

    def mean_score(log_scale: float) -> float:
        rows = np.asarray(row_scale(np.asarray([1.0, 2.0**log_scale]), target, d))  # [P, d]
        return float(energy_score(x, centres + rows[:, None, :] * deviations).mean())

    return 1.0, round(2.0 ** _golden(mean_score, *SCALE_BOUNDS, SCALE_TOLERANCE), 4) if d > 1 else 1.0


def choose(frame: pd.DataFrame, alpha: float) -> int:
    """The row the rule (``RULE``) picks: frame has one row per candidate, the default (dropout off, no scale)
    first, columns energy_score (mean) and p_vs_default."""
    better = np.flatnonzero((frame["p_vs_default"].to_numpy() < alpha)
                            & (frame["energy_score"].to_numpy() < frame["energy_score"].iloc[0]))
    return int(better[np.argmin(frame["energy_score"].to_numpy()[better])]) if len(better) else 0


def _ratio(predicted: np.ndarray, true: np.ndarray) -> float:
    """sum(predicted) / sum(true), NaN where the truth does not vary (SERGIO's knocked-out target)."""
    bottom = float(np.nansum(true))
    return float(np.nansum(predicted)) / bottom if bottom > 0 else float("nan")


def truth_pairs(truth: Samples) -> np.ndarray:
    """The interventional samples [S * R', N, d] in the (SCM, regime) order of ``split_queries``."""
    regimes = truth.interventional
    S, _, N, d = truth.samples.shape
    return truth.samples[:, regimes].reshape(S * len(regimes), N, d).astype(np.float64)


def candidates(params, module, validation: Samples, *, dropouts: list[str], n_latents: int, seed: int,
               batch_size: int, source: str = "validation", progress: bool = False) -> pd.DataFrame:
    """Every candidate setting of a model (``params``, ``module``) scored on its validation split, one row each.

    Candidates: for each mode of ``dropouts`` ("off" first), unscaled and with a fitted scale (name: the mode, or
    the mode and "_scaled"). Columns: name, dropout, scale_target, scale_other, energy_score (mean),
    energy_score_lo/hi (95 % bootstrap over SCMs), p_vs_default (one-sided Wilcoxon over SCMs),
    spread_ratio_other / _target, coverage50, coverage90 (PIT of the non-target variables), nll (mean -log p per
    sample, ``density.pair_nlls``: one predicted mixture per mode, both scales on it).
    """
    if not dropouts or dropouts[0] != "off":
        raise ValueError(f"dropouts: the candidates must start with 'off' (the default), got {dropouts!r}")
    obs, target, value_index = split_queries(validation, source)
    x = truth_pairs(validation)
    S, R = validation.samples.shape[0], len(validation.interventional)
    scm = np.repeat(validation.scm, R)
    rows, scores = [], {}
    for dropout in dropouts:
        centres, deviations = predict_queries(params, module, obs, target, value_index, n_latents=n_latents,
                                              n_samples=x.shape[1], seed=seed, batch_size=batch_size,
                                              progress=progress, setting=InferenceSetting(dropout), parts=True)
        centres, deviations = centres.astype(np.float64), deviations.astype(np.float64)
        fitted = InferenceSetting(dropout, *fit_scale(x, centres, deviations, target))
        settings = ((dropout, InferenceSetting(dropout)), (f"{dropout}_scaled", fitted))
        nlls = density.pair_nlls(params, module, validation, dropout=dropout, n_latents=n_latents, seed=seed,
                                 scales=[(s.scale_target, s.scale_other) for _, s in settings],
                                 batch_size=batch_size, source=source)
        for (name, setting), nll in zip(settings, nlls):
            d_rows = np.asarray(row_scale(np.asarray([setting.scale_target, setting.scale_other]), target, x.shape[2]))
            y = centres + d_rows[:, None, :] * deviations
            es = energy_score(x, y)
            scores[name] = pd.Series(es).groupby(scm).mean()
            sd = spread.spreads(x, y, target)
            counts = spread.pit_counts(x, y, target, np.random.default_rng(seed)).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                rows.append({"name": name, **setting.to_dict(), "energy_score": float(es.mean()),
                             "nll": float(nll.mean()),
                             "spread_ratio_other": _ratio(sd["spread_pred_other"], sd["spread_true_other"]),
                             "spread_ratio_target": _ratio(sd["spread_pred_target"], sd["spread_true_target"]),
                             "coverage50": float(spread.coverage(counts, 0.5)),
                             "coverage90": float(spread.coverage(counts, 0.9))})
    frame = pd.DataFrame(rows)
    seq = np.random.SeedSequence(seed)
    for i, name in enumerate(frame["name"]):
        frame.loc[i, ["energy_score_lo", "energy_score_hi"]] = intervals.bootstrap_interval(
            scores[name].to_numpy(), 2000, 0.95, seq)
        frame.loc[i, "p_vs_default"] = intervals.wilcoxon_less(scores[name], scores["off"])[0] if name != "off" else np.nan
    return frame[list(COLUMNS)]


def pick(frame: pd.DataFrame, setting: str, alpha: float) -> tuple[InferenceSetting, pd.DataFrame]:
    """(the setting, the candidates with column ``chosen``): ``setting`` "selected" applies the rule
    (``choose``), a candidate's name takes that candidate. ValueError for a name that is not a candidate."""
    if setting == "selected":
        row = choose(frame, alpha)
    elif setting in set(frame["name"]):
        row = int(np.flatnonzero(frame["name"].to_numpy() == setting)[0])
    else:
        raise ValueError(f"'{setting}' is not among the candidates ({', '.join(frame['name'])})")
    frame = frame.assign(chosen=np.arange(len(frame)) == row)
    best = frame.iloc[row]
    return InferenceSetting(best["dropout"], float(best["scale_target"]), float(best["scale_other"])), frame
