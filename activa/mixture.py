"""Gaussian mixtures in JAX: the decoder's full-covariance mixture and the prior's isotropic mixture.

Shapes (leading batch axes ``...`` broadcast):

- full-covariance mixture over x in R^d: weights [..., c] (sum to 1), means [..., c, d],
  covariances [..., c, d, d] (positive definite);
- isotropic mixture over z in R^{d x l} (one latent vector of size l per variable): logits [..., k],
  means [..., k, d, l], one fixed variance for every coordinate.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp


def mixture_logpdf(x: jax.Array, weights: jax.Array, means: jax.Array, covs: jax.Array) -> jax.Array:
    """log sum_c w_c N(x; mu_c, Sigma_c) for samples x [..., n, d]; mixture params [..., c, ...] -> [..., n]."""
    chol = jnp.linalg.cholesky(covs)  # [..., c, d, d]
    diff = x[..., :, None, :] - means[..., None, :, :]  # [..., n, c, d]
    sol = jax.scipy.linalg.solve_triangular(chol[..., None, :, :, :], diff[..., None], lower=True)[..., 0]
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


def sample_mixture(key: jax.Array, weights: jax.Array, means: jax.Array, covs: jax.Array, n: int) -> jax.Array:
    """n draws from a full-covariance mixture: weights [c], means [c, d], covs [c, d, d] -> [n, d]."""
    k_comp, k_noise = jax.random.split(key)
    comp = jax.random.categorical(k_comp, jnp.log(weights), shape=(n,))
    chol = jnp.linalg.cholesky(covs)
    eps = jax.random.normal(k_noise, (n, means.shape[-1]))
    return means[comp] + jnp.einsum("nij,nj->ni", chol[comp], eps)
