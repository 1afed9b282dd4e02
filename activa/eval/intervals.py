"""How sure a table cell is: bootstrap intervals over test SCMs and paired tests between methods.

A cell is the mean of a metric over a family's (test SCM, interventional regime) pairs. The pairs of one SCM
share its observational samples (and, for ACTIVA, its encoding), so they are not independent: the unit of
both the interval and the test is the SCM. Every SCM has the same regimes, so the cell is also the mean of
the per-SCM means.

- ``bootstrap_interval``: percentile bootstrap of that mean, resampling SCMs with replacement (seeded).
- ``wilcoxon_less``: one-sided Wilcoxon signed-rank test, paired by SCM, that method a's per-SCM means are
  lower than method b's (``scipy.stats.wilcoxon``); a cell is bold (``better``) when its mean is lower than its
  comparators' (``comparators``) on the SCMs they share and the test finds it lower.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


CHUNK = 256  # bootstrap replicates drawn at once


def per_scm(frame: pd.DataFrame, metric: str) -> pd.Series:
    """The mean of ``metric`` over each SCM's regimes, indexed by SCM (a metrics file's frame)."""
    return frame.groupby("scm", sort=True)[metric].mean()


EFFECTS = ("desc", "nondesc")  # effect cells: metrics-file columns <effect>_err_sum and <effect>_n


def per_scm_effect(frame: pd.DataFrame, effect: str) -> tuple[pd.Series, pd.Series]:
    """(sums, counts) per SCM of an effect's summed absolute mean errors and triples (a metrics file's frame)."""
    grouped = frame.groupby("scm", sort=True)
    return grouped[f"{effect}_err_sum"].sum(), grouped[f"{effect}_n"].sum().astype(np.float64)


def bootstrap_interval(values: np.ndarray, replicates: int, level: float, seed: np.random.SeedSequence,
                       counts: np.ndarray | None = None) -> tuple[float, float]:
    """(lo, hi): the ``level`` percentile-bootstrap interval of the mean of ``values`` [S] (one per SCM), or with
    ``counts`` [S] of the ratio sum(values) / sum(counts) (a mean over triples whose number varies by SCM)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or (counts is not None and not np.sum(counts)):
        return np.nan, np.nan
    rng = np.random.Generator(np.random.PCG64(seed))
    means = []
    for start in range(0, replicates, CHUNK):
        pick = rng.integers(values.size, size=(min(CHUNK, replicates - start), values.size))
        if counts is None:
            means.append(values[pick].mean(axis=1))
        else:
            n = np.asarray(counts, np.float64)[pick].sum(axis=1)
            means.append(np.where(n > 0, values[pick].sum(axis=1) / np.maximum(n, 1), np.nan))
    lo, hi = np.nanquantile(np.concatenate(means), [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def wilcoxon_less(a: pd.Series, b: pd.Series) -> tuple[float, float]:
    """(one-sided p-value that a < b, mean of a - b), paired by SCM (index) over the SCMs both have; the p-value
    is 1 when they never differ."""
    joined = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner")
    diff = (joined["a"] - joined["b"]).to_numpy()
    if not np.any(diff != 0):
        return 1.0, 0.0
    return float(stats.wilcoxon(diff, alternative="less").pvalue), float(diff.mean())


def comparators(methods: list[str], reference: str | None = "baseline") -> dict[str, list[str]]:
    """Whom each method must beat for a bold cell: the reference (if present) for the others, every other
    method for the reference; without a reference, every other method."""
    if reference not in methods:
        return {m: [o for o in methods if o != m] for m in methods}
    return {m: [o for o in methods if o != m] if m == reference else [reference] for m in methods}


def better(scm_means: dict[str, pd.Series], against: dict[str, list[str]], alpha: float
           ) -> dict[str, tuple[float, bool]]:
    """Per method (scm_means: method -> per-SCM means of one metric, ``per_scm``): (the largest one-sided p-value
    of it being lower than a comparator, NaN without one; whether it beats every comparator: a lower mean on the
    SCMs both have and p < alpha)."""
    out = {}
    for method, means in scm_means.items():
        tests = [wilcoxon_less(means, scm_means[o]) for o in against.get(method, []) if o in scm_means]
        out[method] = (max((p for p, _ in tests), default=np.nan),
                       bool(tests) and all(p < alpha and shift < 0 for p, shift in tests))
    return out
