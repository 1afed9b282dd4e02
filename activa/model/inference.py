"""Inference: draw L latents per query, decode each into a Gaussian mixture, form the uniform mixture of the L
decoded mixtures (L * c components, weights w_c / L) and sample from it.

v2 (section 6.1) draws the latents from the prior p(z | D, do); L = 50 in its text, 1 in its Table 1 caption.
v1 (Figure 1) draws them from the encoder q(z | D, do). L is a config value; the model's ``sample_latents``
decides where the latents come from. ``predict_split`` answers every interventional query of a dataset file.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from activa.data.format import Samples
from activa.data.scm import seed_sequence
from activa.model.mixture import sample_mixture


@partial(jax.jit, static_argnames=("model", "n_latents", "n_samples"))
def predict_batch(params, model, obs: jax.Array, target: jax.Array, value_index: jax.Array, key: jax.Array,
                  n_latents: int, n_samples: int):
    """Q queries at once. obs [Q, N, d]; target, value_index [Q] ->
    samples [Q, n_samples, d] and the mixture: weights [Q, L*c], means [Q, L*c, d], covs [Q, L*c, d, d]."""
    cfg = model.cfg
    Q, _, d = obs.shape
    k_latent, k_sample = jax.random.split(key)
    z = model.apply(params, obs, target, value_index, n_latents, method="sample_latents",
                    rngs={"latent": k_latent})  # [Q, L, d, l]
    weights, means, covs = model.apply(params, z.reshape(Q * n_latents, d, cfg.latent),
                                       jnp.repeat(target, n_latents), jnp.repeat(value_index, n_latents),
                                       method="decode_query")
    weights = weights.reshape(Q, n_latents * cfg.c) / n_latents
    means = means.reshape(Q, n_latents * cfg.c, d)
    covs = covs.reshape(Q, n_latents * cfg.c, d, d)
    samples = jax.vmap(sample_mixture, in_axes=(0, 0, 0, 0, None))(
        jax.random.split(k_sample, Q), weights, means, covs, n_samples)
    return samples, (weights, means, covs)


def predict_queries(params, model, obs: np.ndarray, target: np.ndarray, value_index: np.ndarray, *,
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


def predict_seed(seed: int, method: str, family: str) -> int:
    """The prediction seed of one (method, family): from ``seed_sequence(seed, "predict", method, family)``."""
    return int(seed_sequence(seed, "predict", method, family).generate_state(1)[0] % 2**31)


def predict_split(params, model, truth: Samples, *, n_latents: int, seed: int, batch_size: int,
                  progress: bool = False) -> Samples:
    """Predicted Samples [S, R', N, d] for every interventional regime of every SCM of ``truth``.

    Each query is (the SCM's N observational samples, target, value index); its prediction has N samples.
    """
    S, _, N, d = truth.samples.shape
    regimes = truth.interventional
    obs = np.repeat(truth.samples[:, np.flatnonzero(truth.target < 0)[0]], len(regimes), axis=0)
    target = np.tile(truth.target[regimes], S).astype(np.int32)
    value_index = np.tile(truth.value_index[regimes], S).astype(np.int32)
    samples = predict_queries(params, model, obs, target, value_index, n_latents=n_latents, n_samples=N, seed=seed,
                              batch_size=batch_size, progress=progress)
    return Samples(samples.reshape(S, len(regimes), N, d), truth.target[regimes], truth.value_index[regimes],
                   truth.value[regimes], truth.scm, truth.regime[regimes])
