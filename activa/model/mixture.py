"""Gaussian mixtures in JAX: the decoder's full-covariance mixture and the prior's isotropic mixture.

Shapes (leading batch axes ``...`` broadcast):

- full-covariance mixture over x in R^d: weights [..., c] (sum to 1), means [..., c, d],
  covariances [..., c, d, d] (positive definite);
- isotropic mixture over z in R^{d x l} (one latent vector of size l per variable): logits [..., k],
  means [..., k, d, l], one fixed variance for every coordinate.

The covariances are factorised by ``cholesky`` and ``solve_lower`` below, written in plain jnp ops rather than
``jnp.linalg.cholesky``/``solve_triangular``: on CPU, jaxlib 0.10.2's batched LAPACK kernels hand their batch to
XLA's intra-op thread pool and block on it, and when as many of them run at once as the pool has threads
(two on a 2-core machine; e.g. the forward and backward triangular solves of a training step) every pool
thread waits and training deadlocks. The matrices are tiny (d x d, d = the number of variables): d
vectorised column steps train as fast as the LAPACK calls did on CPU (benchmarks/bench_train.py); not yet
timed on a GPU.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp


def cholesky(a: jax.Array) -> jax.Array:
    """Lower-triangular L with L L^T = a, for positive-definite a [..., d, d] -> [..., d, d] (NaN if not PD)."""
    rows = jnp.arange(a.shape[-1])

    def column(j, low):
        # columns >= j of low are still zero, so low @ low[j] sums over k < j only
        v = a[..., :, j] - jnp.einsum("...ik,...k->...i", low, low[..., j, :])
        pivot = jnp.sqrt(v[..., j])[..., None]
        return low.at[..., :, j].set(jnp.where(rows > j, v / pivot, jnp.where(rows == j, pivot, 0.0)))

    return jax.lax.fori_loop(0, a.shape[-1], column, jnp.zeros_like(a))


def solve_lower(low: jax.Array, b: jax.Array) -> jax.Array:
    """y with low @ y = b by forward substitution: low [..., d, d] lower-triangular, b [..., d] -> [..., d]."""
    rows = jnp.arange(b.shape[-1])

    def row(i, y):
        # entries >= i of y are still zero
        yi = (b[..., i] - jnp.einsum("...k,...k->...", low[..., i, :], y)) / low[..., i, i]
        return jnp.where(rows == i, yi[..., None], y)

    shape = jnp.broadcast_shapes(low.shape[:-1], b.shape)
    return jax.lax.fori_loop(0, b.shape[-1], row, jnp.zeros(shape, jnp.result_type(low, b)))


def mixture_logpdf(x: jax.Array, weights: jax.Array, means: jax.Array, covs: jax.Array) -> jax.Array:
    """log sum_c w_c N(x; mu_c, Sigma_c) for samples x [..., n, d]; mixture params [..., c, ...] -> [..., n]."""
    chol = cholesky(covs)  # [..., c, d, d]
    diff = x[..., :, None, :] - means[..., None, :, :]  # [..., n, c, d]
    sol = solve_lower(chol[..., None, :, :, :], diff)  # [..., n, c, d]
    log_det = 2.0 * jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)  # [..., c]
    d = x.shape[-1]
    comp = -0.5 * (jnp.sum(sol**2, axis=-1) + log_det[..., None, :] + d * math.log(2.0 * math.pi))
    return jax.nn.logsumexp(comp + jnp.log(weights)[..., None, :], axis=-1)


def isotropic_logpdf(z: jax.Array, mean: jax.Array, variance: float) -> jax.Array:
    """log N(z; mean, variance I) summed over the trailing two axes (variables, latent): -> [...]."""
    size = z.shape[-1] * z.shape[-2]
    sq = jnp.sum((z - mean) ** 2, axis=(-2, -1))
    return -0.5 * (sq / variance + size * math.log(2.0 * math.pi * variance))


def isotropic_mixture_logpdf(z: jax.Array, logits: jax.Array, means: jax.Array, variance: float) -> jax.Array:
    """Prior density: z [..., d, l], logits [..., k], means [..., k, d, l] -> [...]."""
    comp = isotropic_logpdf(z[..., None, :, :], means, variance)  # [..., k]
    return jax.nn.logsumexp(comp + jax.nn.log_softmax(logits, axis=-1), axis=-1)


def diagonal_logpdf(z: jax.Array, mean: jax.Array, logvar: jax.Array) -> jax.Array:
    """log N(z; mean, diag(exp(logvar))) summed over the trailing two axes (variables, latent): -> [...]."""
    return -0.5 * jnp.sum((z - mean) ** 2 * jnp.exp(-logvar) + logvar + math.log(2.0 * math.pi), axis=(-2, -1))


def uniform_diagonal_mixture_logpdf(z: jax.Array, means: jax.Array, logvars: jax.Array) -> jax.Array:
    """VAMP prior density (1/P) sum_p N(z; mu_p, diag(exp(logvar_p))): z [..., d, l], means/logvars [P, d, l]."""
    comp = diagonal_logpdf(z[..., None, :, :], means, logvars)  # [..., P]
    return jax.nn.logsumexp(comp, axis=-1) - math.log(means.shape[0])


def sample_isotropic_mixture(key: jax.Array, logits: jax.Array, means: jax.Array, variance: float,
                             n: int) -> jax.Array:
    """n draws from the prior mixture: logits [k], means [k, d, l] -> [n, d, l]."""
    k_comp, k_noise = jax.random.split(key)
    comp = jax.random.categorical(k_comp, logits, shape=(n,))
    return means[comp] + math.sqrt(variance) * jax.random.normal(k_noise, (n,) + means.shape[1:])


def low_rank_covariance(factors: jax.Array, eps: float) -> jax.Array:
    """u u^T + eps I: factors u [..., d, e] -> covariances [..., d, d] (the decoder's, ACTIVA v2 Sec. 3)."""
    return factors @ jnp.swapaxes(factors, -1, -2) + eps * jnp.eye(factors.shape[-2])


def low_rank_deviation(key: jax.Array, factors: jax.Array, eps: float) -> jax.Array:
    """One draw from each N(0, u u^T + eps I): factors u [..., d, e] -> [..., d].

    u xi + sqrt(eps) zeta with xi ~ N(0, I_e), zeta ~ N(0, I_d): exact (its covariance is u u^T + eps I)
    and without factorising anything. A draw of N(mean, D (u u^T + eps I) D) is mean + D times it.
    """
    k_xi, k_zeta = jax.random.split(key)
    xi = jax.random.normal(k_xi, factors.shape[:-2] + factors.shape[-1:])
    zeta = jax.random.normal(k_zeta, factors.shape[:-1])
    return jnp.einsum("...de,...e->...d", factors, xi) + math.sqrt(eps) * zeta
