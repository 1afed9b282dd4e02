"""Inference (v2 section 6.1): draw L latents from the prior given the observational data and the query,
decode each into a Gaussian mixture, form the uniform mixture of the L decoded mixtures (L * c components,
weights w_c / L) and sample from it. L = 50 in the paper's text, 1 in its Table 1 caption; a config value.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from activa.mixture import sample_isotropic_mixture, sample_mixture
from activa.model import ACTIVA, augment


@partial(jax.jit, static_argnames=("model", "n_latents", "n_samples"))
def predict_batch(params, model: ACTIVA, obs: jax.Array, target: jax.Array, value_index: jax.Array, key: jax.Array,
                  n_latents: int, n_samples: int):
    """Q queries at once. obs [Q, N, d]; target, value_index [Q] ->
    samples [Q, n_samples, d] and the mixture: weights [Q, L*c], means [Q, L*c, d], covs [Q, L*c, d, d]."""
    cfg = model.cfg
    Q, _, d = obs.shape
    (logits, prior_means), _ = model.apply(params, augment(obs, target, value_index, cfg.n_values), False,
                                           method=ACTIVA.prior)
    k_latent, k_sample = jax.random.split(key)
    z = jax.vmap(sample_isotropic_mixture, in_axes=(0, 0, 0, None, None))(
        jax.random.split(k_latent, Q), logits, prior_means, cfg.prior_variance, n_latents)  # [Q, L, d, l]
    weights, means, covs = model.apply(params, z.reshape(Q * n_latents, d, cfg.latent), False, method=ACTIVA.decode)
    weights = weights.reshape(Q, n_latents * cfg.c) / n_latents
    means = means.reshape(Q, n_latents * cfg.c, d)
    covs = covs.reshape(Q, n_latents * cfg.c, d, d)
    samples = jax.vmap(sample_mixture, in_axes=(0, 0, 0, 0, None))(
        jax.random.split(k_sample, Q), weights, means, covs, n_samples)
    return samples, (weights, means, covs)


def predict_queries(params, model: ACTIVA, obs: np.ndarray, target: np.ndarray, value_index: np.ndarray, *,
                    n_latents: int, n_samples: int, seed: int, batch_size: int, progress: bool = False) -> np.ndarray:
    """Samples [Q, n_samples, d] for many queries, in batches; batch b uses key fold_in(key(seed), b).

    The last batch is padded to ``batch_size`` so that one compiled function serves every batch.
    """
    Q = obs.shape[0]
    out = np.empty((Q, n_samples, obs.shape[2]), np.float32)
    base = jax.random.key(seed)
    for b, start in enumerate(tqdm(range(0, Q, batch_size), desc="predict", unit="batch", disable=not progress,
                                   mininterval=2.0)):
        stop = min(Q, start + batch_size)
        pad = batch_size - (stop - start)
        take = lambda a: np.concatenate([a[start:stop], np.repeat(a[stop - 1:stop], pad, axis=0)]) if pad else a[start:stop]
        samples, _ = predict_batch(params, model, jnp.asarray(take(obs)), jnp.asarray(take(target)),
                                   jnp.asarray(take(value_index)), jax.random.fold_in(base, b), n_latents, n_samples)
        out[start:stop] = np.asarray(samples)[: stop - start]
    return out
