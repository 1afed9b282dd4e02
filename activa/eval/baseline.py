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
"""

from __future__ import annotations

import numpy as np

from activa.data.format import Samples
from activa.data.scm import seed_sequence


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


def predict(observational: np.ndarray, target: np.ndarray, value: np.ndarray, n_samples: int,
            rng: np.random.Generator, ridge: float) -> np.ndarray:
    """Baseline samples [S, R, n_samples, d] for each SCM's observational data [S, N, d] and each query."""
    target = np.asarray(target, dtype=np.int64)
    value = np.asarray(value, dtype=np.float64)
    if (target < 0).any():
        raise ValueError("baseline.predict: every target must be >= 0 (interventional regimes only)")
    mean, cov = fit_gaussian(observational, ridge)
    cond_mean, cond_cov = condition(mean, cov, target, value)
    samples = sample_gaussian(rng, cond_mean, cond_cov, n_samples)
    samples[:, np.arange(len(target)), :, target] = value[:, None, None]
    return samples


def predict_samples(config: dict, truth: Samples, family: str, split: str) -> Samples:
    """The baseline's Samples [S, R', N, d] for every interventional regime of ``truth`` (a family's split).

    Reads ``seed`` and ``baseline.ridge`` of the config.
    """
    rng = np.random.Generator(np.random.PCG64(seed_sequence(config["seed"], "baseline", family, split)))
    regimes = truth.interventional
    observational = truth.samples[:, np.flatnonzero(truth.target < 0)[0]]
    samples = predict(observational, truth.target[regimes], truth.value[regimes], truth.samples.shape[2], rng,
                      config["baseline"]["ridge"])
    return Samples(samples.astype(np.float32), truth.target[regimes], truth.value_index[regimes], truth.value[regimes],
                   truth.scm, truth.regime[regimes])
