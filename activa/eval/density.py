"""Held-out -log p: how much density a model's predicted mixture puts on the truth's samples.

Per query, the model predicts a Gaussian mixture (the L latents' decoded components, weights 1/L each; with dropout
on, each latent decoded with its own masks: a Monte Carlo mixture over latents and masks; with a spread scale,
covariances D Sigma D). ``pair_nll`` evaluates it at the truth's N interventional samples of every variable, the
target included, and averages: -log p per sample in nats (lower is better; a proper score, like the energy
score, but only for a method with a density: ACTIVA's, not the baseline's, which sets V_t exactly). The v2 paper's
training objective is this quantity on the training data.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from activa.data.format import Samples
from activa.model.inference import InferenceSetting, predict_batch, scale_mixture, split_queries
from activa.model.mixture import mixture_logpdf


@jax.jit
def _nll(x: jax.Array, weights: jax.Array, means: jax.Array, covs: jax.Array) -> jax.Array:
    """Mean -log p over the samples: x [Q, N, d], mixtures [Q, M], [Q, M, d], [Q, M, d, d] -> [Q]."""
    return -mixture_logpdf(x, weights, means, covs).mean(axis=-1)


def pair_nll(params, module, truth: Samples, *, setting: InferenceSetting, n_latents: int, seed: int,
             batch_size: int, source: str = "samples", progress: bool = False) -> np.ndarray:
    """-log p per sample [S * R'] of every interventional regime's samples under the model's predicted mixture for
    its query (``split_queries`` order); batch b of queries uses key fold_in(key(seed), b)."""
    scales = [(setting.scale_target, setting.scale_other)]
    return pair_nlls(params, module, truth, dropout=setting.dropout, scales=scales, n_latents=n_latents, seed=seed,
                     batch_size=batch_size, source=source, progress=progress)[0]


def pair_nlls(params, module, truth: Samples, *, dropout: str, scales: list[tuple[float, float]], n_latents: int,
              seed: int, batch_size: int, source: str = "samples", progress: bool = False) -> np.ndarray:
    """``pair_nll`` of the settings (dropout, each of ``scales``: (target, other)) at once, [len(scales), S * R']:
    the mixture is predicted once per batch and each scale applied to its covariances (the same latents and
    masks for every scale, as ``pair_nll`` of each setting would draw them)."""
    obs, target, value_index = split_queries(truth, source)
    regimes = truth.interventional
    S, _, N, d = truth.samples.shape
    x = truth.samples[:, regimes].reshape(S * len(regimes), N, d)
    out = np.empty((len(scales), len(obs)))
    base = jax.random.key(seed)
    for b, start in enumerate(tqdm(range(0, len(obs), batch_size), desc="density", unit="batch",
                                   disable=not progress, mininterval=2.0)):
        stop = min(len(obs), start + batch_size)
        rows = np.arange(start, stop)
        rows = np.concatenate([rows, np.full(batch_size - len(rows), stop - 1)])  # padded: one compiled shape
        rows_target, rows_x = jnp.asarray(target[rows]), jnp.asarray(x[rows])
        _, mix = predict_batch(params, module, jnp.asarray(obs[rows]), rows_target, jnp.asarray(value_index[rows]),
                               jax.random.fold_in(base, b), n_latents, 1, mixture=True, dropout=dropout)
        for k, scale in enumerate(scales):
            scaled = mix if tuple(scale) == (1.0, 1.0) else scale_mixture(mix, jnp.asarray(scale, jnp.float32),
                                                                         rows_target)
            out[k, start:stop] = np.asarray(_nll(rows_x, *scaled), np.float64)[: stop - start]
    return out
