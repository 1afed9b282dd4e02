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
from activa.model.mixture import low_rank_covariance, sample_low_rank_gaussian


MAX_ABS_INPUT = 1e18
"""The largest magnitude a model input may have. The model computes in float32 and its first layer norm squares
the embedded samples: beyond about 1e19 those squares lose their precision and then overflow (at 1e30 every
prediction is NaN). Up to 1e18 the shipped models predict exactly as for the same data scaled to unit size."""


class InputError(ValueError):
    """An input the model cannot compute with (check_inputs)."""


def check_inputs(x: np.ndarray, name: str, axes: tuple[str, ...]) -> None:
    """InputError naming ``name`` and the first entry (one index per name in ``axes``) that is NaN, infinite or
    larger in magnitude than MAX_ABS_INPUT."""
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(x) <= MAX_ABS_INPUT)  # NaN compares False
    if bad.any():
        index = np.argwhere(bad)[0]
        where = ", ".join(f"{axis} {i}" for axis, i in zip(axes, index))
        raise InputError(f"{name}: {float(x[tuple(index)]):.6g} at {where}: expected finite values of magnitude at most "
                         f"{MAX_ABS_INPUT:.0e} (the model computes in float32; larger inputs overflow)")


@partial(jax.jit, static_argnames=("model", "n_latents", "n_samples", "mixture"))
def predict_batch(params, model, obs: jax.Array, target: jax.Array, value_index: jax.Array, key: jax.Array,
                  n_latents: int, n_samples: int, mixture: bool = False):
    """Q queries at once. obs [Q, N, d]; target, value_index [Q] -> samples [Q, n_samples, d] and, with
    ``mixture``, the mixture they are drawn from (``sample_decoded``); else None."""
    k_latent, k_sample = jax.random.split(key)
    z = model.apply(params, obs, target, value_index, n_latents, method="sample_latents",
                    rngs={"latent": k_latent})  # [Q, L, d, l]
    return sample_decoded(params, model, z, target, value_index, k_sample, n_samples, mixture)


def sample_decoded(params, model, z: jax.Array, target: jax.Array, value_index: jax.Array, key: jax.Array,
                   n_samples: int, mixture: bool = False):
    """n_samples draws per query from the uniform mixture of its L latents' decoded mixtures: latents
    z [Q, L, d, l]; target, value_index [Q] -> samples [Q, n_samples, d] and, with ``mixture``, that mixture:
    weights [Q, L*c], means [Q, L*c, d], covs [Q, L*c, d, d] (else None).

    Each latent has weight 1/L in the mixture, so a sample picks a latent uniformly, then one of its c components
    by the decoded weights, then a draw mean + u xi + sqrt(eps) zeta of that component (its covariance is
    u u^T + eps I). Only the picked latents need decoding: with n_samples < L (and no mixture asked for) each
    sample's picked latent is decoded on its own (a latent picked twice is decoded twice, to the same mixture),
    which is the same joint distribution as decoding all L at n_samples / L of the decoder's work.
    """
    cfg = model.cfg
    Q, n_latents, d, _ = z.shape
    k_pick, k_comp, k_noise = jax.random.split(key, 3)
    pick = jax.random.randint(k_pick, (Q, n_samples), 0, n_latents)  # each sample's latent
    if not mixture and n_samples < n_latents:
        z = jnp.take_along_axis(z, pick[:, :, None, None], axis=1)  # [Q, n_samples, d, l]
        pick = jnp.broadcast_to(jnp.arange(n_samples), (Q, n_samples))
    M = z.shape[1]  # latents decoded per query
    weights, means, factors = model.apply(params, z.reshape(Q * M, d, z.shape[-1]), jnp.repeat(target, M),
                                          jnp.repeat(value_index, M), method="decode_query", factor=True)
    weights = weights.reshape(Q, M, cfg.c)
    means = means.reshape(Q, M, cfg.c, d)
    factors = factors.reshape(Q, M, cfg.c, d, factors.shape[-1])
    comp = jax.random.categorical(k_comp, jnp.log(jnp.take_along_axis(weights, pick[..., None], axis=1)))  # [Q, n]
    query = jnp.arange(Q)[:, None]
    samples = sample_low_rank_gaussian(k_noise, means[query, pick, comp], factors[query, pick, comp], cfg.cov_eps)
    if not mixture:
        return samples, None
    return samples, (weights.reshape(Q, M * cfg.c) / M, means.reshape(Q, M * cfg.c, d),
                     low_rank_covariance(factors, cfg.cov_eps).reshape(Q, M * cfg.c, d, d))


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
    check_outputs(out)
    return out


def check_outputs(samples: np.ndarray) -> None:
    """FloatingPointError naming the first query whose predicted samples [Q, n, d] are not all finite (inputs
    check_inputs accepts should never give one: a safeguard, so that nothing non-finite is written silently)."""
    finite = np.isfinite(samples).all(axis=(1, 2))
    if not finite.all():
        raise FloatingPointError(f"the prediction of query {int(np.argmin(finite))} is not finite (NaN or inf "
                                 "samples): the model overflowed float32 on its input")


def predict_seed(seed: int, method: str, family: str) -> int:
    """The prediction seed of one (method, family): from ``seed_sequence(seed, "predict", method, family)``."""
    return int(seed_sequence(seed, "predict", method, family).generate_state(1)[0] % 2**31)


def predict_split(params, model, truth: Samples, *, n_latents: int, seed: int, batch_size: int,
                  progress: bool = False, source: str = "samples") -> Samples:
    """Predicted Samples [S, R', N, d] for every interventional regime of every SCM of ``truth``.

    Each query is (the SCM's N observational samples, target, value index); its prediction has N samples.
    InputError (naming ``source``, e.g. the file, and the entry) for observational samples check_inputs refuses.
    """
    S, _, N, d = truth.samples.shape
    regimes = truth.interventional
    observational = truth.samples[:, np.flatnonzero(truth.target < 0)[0]]  # [S, N, d]
    check_inputs(observational, f"{source}: observational samples", ("SCM", "sample", "variable"))
    obs = np.repeat(observational, len(regimes), axis=0)
    target = np.tile(truth.target[regimes], S).astype(np.int32)
    value_index = np.tile(truth.value_index[regimes], S).astype(np.int32)
    samples = predict_queries(params, model, obs, target, value_index, n_latents=n_latents, n_samples=N, seed=seed,
                              batch_size=batch_size, progress=progress)
    return Samples(samples.reshape(S, len(regimes), N, d), truth.target[regimes], truth.value_index[regimes],
                   truth.value[regimes], truth.scm, truth.regime[regimes])
