"""The conditional baseline (ACTIVA v2 section 6.1, v1 section 4.3): conditioning mistaken for intervening.

Per SCM, fit a multivariate normal to the N observational samples (sample mean, covariance with ddof=1),
condition it on V_t = v, draw N samples of the other variables from the Gaussian conditional and set
V_t = v exactly (no jitter):

    mean = mu + Sigma[:, t] / Sigma[t, t] * (v - mu_t)
    cov  = Sigma - Sigma[:, t] Sigma[t, :] / Sigma[t, t]

Regularisation: Sigma + ridge * (mean of diag(Sigma) + 1e-12) * I before conditioning, so a constant
variable (a zero-variance gene, a duplicated column) never divides by zero; the conditional covariance is
then factorised by an eigendecomposition with negative round-off eigenvalues clipped to 0, which never
produces NaN. Vectorised over all SCMs and regimes. Random stream: ``seed_sequence(config seed, "baseline",
family, split)``.

``sample_query`` also draws the ways the published baseline numbers could have been computed (the config's
``calibration.baseline_hypotheses``, results/calibration/published_baseline.md): conditioned or set at
another value than the query's, or not conditioned or not set at all.
"""

from __future__ import annotations

import numpy as np

from activa.data.format import Samples
from activa.data.scm import seed_sequence

BASELINE = {"condition_on": "query", "set_to": "query"}  # the baseline as a hypothesis spec


def fit_gaussian(observational: np.ndarray, ridge: float) -> tuple[np.ndarray, np.ndarray]:
    """[S, N, d] samples -> mean [S, d] and regularised covariance [S, d, d] (ddof=1)."""
    x = observational.astype(np.float64)
    mean = x.mean(axis=1)
    centred = x - mean[:, None, :]
    cov = np.einsum("sni,snj->sij", centred, centred) / (x.shape[1] - 1)
    scale = np.trace(cov, axis1=1, axis2=2) / cov.shape[-1] + 1e-12
    return mean, cov + (ridge * scale)[:, None, None] * np.eye(cov.shape[-1])


def condition(mean: np.ndarray, cov: np.ndarray, target: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian conditional on V_t = v for each regime: mean [S, R, d], covariance [S, R, d, d].

    mean [S, d], cov [S, d, d]; target [R] (each >= 0), value [R].
    """
    column = np.take(cov, target, axis=2).transpose(0, 2, 1)  # [S, R, d]: Sigma[:, t]
    var_t = np.take_along_axis(column, target[None, :, None], axis=2)  # [S, R, 1]
    mu_t = mean[:, target][..., None]  # [S, R, 1]
    cond_mean = mean[:, None, :] + column / var_t * (value[None, :, None] - mu_t)
    cond_cov = cov[:, None] - column[..., :, None] * column[..., None, :] / var_t[..., None]
    return cond_mean, cond_cov


def sample_gaussian(rng: np.random.Generator, mean: np.ndarray, cov: np.ndarray, n_samples: int) -> np.ndarray:
    """Samples [..., N, d] of N(mean [..., d], cov [..., d, d]) for a possibly singular covariance."""
    eigval, eigvec = np.linalg.eigh(0.5 * (cov + np.swapaxes(cov, -1, -2)))
    root = eigvec * np.sqrt(np.clip(eigval, 0.0, None))[..., None, :]
    z = rng.standard_normal(mean.shape[:-1] + (n_samples, mean.shape[-1]))
    return mean[..., None, :] + z @ np.swapaxes(root, -1, -2)


def sample_query(observational: np.ndarray, target: np.ndarray, condition_on: np.ndarray | None,
                 set_to: np.ndarray | None, n_samples: int, rng: np.random.Generator, ridge: float) -> np.ndarray:
    """Samples [S, R, n_samples, d] of the normal fitted to each SCM's observational data [S, N, d], per query.

    condition_on [R]: condition the fit on V_t = condition_on (None: draw the unconditioned joint normal);
    set_to [R]: then set V_t to this value (None: leave V_t as drawn). The baseline is
    ``condition_on = set_to = v``; the other settings are the published-baseline hypotheses.
    """
    target = np.asarray(target, dtype=np.int64)
    if (target < 0).any():
        raise ValueError("baseline.sample_query: every target must be >= 0 (interventional regimes only)")
    mean, cov = fit_gaussian(observational, ridge)
    if condition_on is None:
        mean, cov = (np.repeat(a[:, None], len(target), axis=1) for a in (mean, cov))
    else:
        mean, cov = condition(mean, cov, target, np.asarray(condition_on, dtype=np.float64))
    samples = sample_gaussian(rng, mean, cov, n_samples)
    if set_to is not None:
        samples[:, np.arange(len(target)), :, target] = np.asarray(set_to, dtype=np.float64)[:, None, None]
    return samples


def predict(observational: np.ndarray, target: np.ndarray, value: np.ndarray, n_samples: int,
            rng: np.random.Generator, ridge: float) -> np.ndarray:
    """Baseline samples [S, R, n_samples, d] for each SCM's observational data [S, N, d] and each query."""
    value = np.asarray(value, dtype=np.float64)
    return sample_query(observational, target, value, value, n_samples, rng, ridge)


def hypothesis_values(spec: dict, value: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(condition_on, set_to) [R] of a published-baseline hypothesis for the queries' values [R].

    spec: ``condition_on`` and ``set_to``, each ``query`` (the query's value v), ``none`` (do not condition /
    do not set) or a number (that value in place of v), as in ``calibration.baseline_hypotheses``.
    """
    def resolve(setting):
        if setting == "none":
            return None
        if setting == "query":
            return np.asarray(value, dtype=np.float64)
        return np.full(len(value), float(setting))

    return resolve(spec["condition_on"]), resolve(spec["set_to"])


def describe_hypothesis(spec: dict) -> str:
    """A hypothesis spec in words, e.g. 'normal fit conditioned on V_t = 0, V_t set to 0; scored against ...'."""
    def words(setting, verb):
        if setting == "query":
            return f"{verb} v"
        return f"{verb} {float(setting):g}" if setting != "none" else None

    condition = words(spec["condition_on"], "conditioned on V_t =")
    setting = words(spec["set_to"], "V_t set to")
    parts = [f"normal fit {condition}" if condition else "unconditioned normal fit",
             setting or "V_t as drawn"]
    truth = "the observational samples" if spec["truth"] == "observational" else "the interventional samples"
    return ", ".join(parts) + f"; scored against {truth}"


def predict_samples(config: dict, truth: Samples, family: str, split: str, hypothesis: dict | None = None) -> Samples:
    """The baseline's Samples [S, R', N, d] for every interventional regime of ``truth`` (a family's split).

    hypothesis: a spec of ``calibration.baseline_hypotheses`` (``condition_on``, ``set_to``) drawn in place of
    the baseline, from the same random stream. Reads ``seed`` and ``baseline.ridge`` of the config.
    """
    rng = np.random.Generator(np.random.PCG64(seed_sequence(config["seed"], "baseline", family, split)))
    regimes = truth.interventional
    observational = truth.samples[:, np.flatnonzero(truth.target < 0)[0]]
    condition_on, set_to = hypothesis_values(hypothesis or BASELINE, truth.value[regimes])
    samples = sample_query(observational, truth.target[regimes], condition_on, set_to, truth.samples.shape[2], rng,
                           config["baseline"]["ridge"])
    return Samples(samples.astype(np.float32), truth.target[regimes], truth.value_index[regimes], truth.value[regimes],
                   truth.scm, truth.regime[regimes])
