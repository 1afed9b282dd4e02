"""Inference: draw L latents per query, decode each into a Gaussian mixture, form the uniform mixture of the L
decoded mixtures (L * c components, weights w_c / L) and sample from it.

v2 (section 6.1) draws the latents from the prior p(z | D, do); L = 50 in its text, 1 in its Table 1 caption.
v1 (Figure 1) draws them from the encoder q(z | D, do). L is a config value; the model's ``sample_latents``
decides where the latents come from. ``predict_split`` answers every interventional query of a dataset file.

How the network runs while it predicts, with dropout off or as trained, and whether the decoded spread is
rescaled, is an ``InferenceSetting``; each model's is chosen on validation data (``activa.eval.selection``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from activa.data.format import Samples
from activa.data.scm import seed_sequence
from activa.model.mixture import low_rank_covariance, low_rank_deviation


MAX_ABS_INPUT = 1e18
"""The largest magnitude a model input may have. The model computes in float32 and its first layer norm squares
the embedded samples: beyond about 1e19 those squares lose their precision and then overflow (at 1e30 every
prediction is NaN). Up to 1e18 the shipped models predict exactly as for the same data scaled to unit size."""


class InputError(ValueError):
    """An input the model cannot compute with (check_inputs)."""


def check_inputs(x: np.ndarray, name: str, axes: tuple[str, ...]) -> None:
    """InputError naming ``name`` and the first entry (one index per name in ``axes``) that is NaN, infinite or
    larger in magnitude than MAX_ABS_INPUT."""
    bad = ~(np.abs(np.asarray(x, np.float64)) <= MAX_ABS_INPUT)  # NaN compares False; float64: in float16, the
    # bound itself would round to inf and let inf through
    if bad.any():
        index = np.argwhere(bad)[0]
        where = ", ".join(f"{axis} {i}" for axis, i in zip(axes, index))
        raise InputError(f"{name}: {float(x[tuple(index)]):.6g} at {where}: expected finite values of magnitude at most "
                         f"{MAX_ABS_INPUT:.0e} (the model computes in float32; larger inputs overflow)")


DROPOUT_MODES = ("off", "decoder", "all")
DROPOUT_STREAM = 2**31 - 1  # fold_in index of a batch key's dropout masks; the other draws keep their streams


@dataclass(frozen=True)
class InferenceSetting:
    """How a trained model predicts; the papers do not say (docs/model.md, "How ACTIVA predicts").

    dropout: "off" (Flax's deterministic network: every dropout layer scaled instead, the weight-scaling
    approximation, which does not keep the spread the decoder was trained with), "decoder" (every decoded latent
    with its own dropout masks, the decoder as trained) or "all" (the embedding of the observational data too,
    one mask per latent). scale_target, scale_other: the decoded components' covariances become
    D (u u^T + eps I) D with D = diag(scale_target on the target's row, scale_other on the others'), a
    post-hoc spread scale (1, 1: none). Chosen per model on its validation split (``activa.eval.selection``).
    """

    dropout: str = "off"
    scale_target: float = 1.0
    scale_other: float = 1.0

    def __post_init__(self):
        if self.dropout not in DROPOUT_MODES:
            raise ValueError(f"dropout: expected one of {', '.join(DROPOUT_MODES)}, got {self.dropout!r}")
        for name in ("scale_target", "scale_other"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
                raise ValueError(f"{name}: expected a positive finite number, got {value!r}")

    @property
    def scaled(self) -> bool:
        return (self.scale_target, self.scale_other) != (1.0, 1.0)

    def scale(self) -> jax.Array | None:
        """[2]: (scale_target, scale_other), or None for no scale (the unscaled draws, byte for byte)."""
        return jnp.asarray([self.scale_target, self.scale_other], jnp.float32) if self.scaled else None

    def to_dict(self) -> dict:
        return {"dropout": self.dropout, "scale_target": float(self.scale_target),
                "scale_other": float(self.scale_other)}

    @classmethod
    def from_dict(cls, value, where: str) -> "InferenceSetting":
        """The setting a model file's metadata or a JSON file holds (``where`` names it in errors)."""
        keys = {"dropout", "scale_target", "scale_other"}
        if not isinstance(value, dict) or not keys <= set(value):
            raise ValueError(f"{where}: expected an inference setting with keys {sorted(keys)}, got {value!r}")
        try:
            return cls(value["dropout"], value["scale_target"], value["scale_other"])
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None

    def describe(self) -> str:
        """e.g. "dropout decoder, scale 1.19 / 1.41 (target / other)"."""
        text = f"dropout {self.dropout}"
        if self.scaled:
            text += f", scale {self.scale_target:.3g} / {self.scale_other:.3g} (target / other)"
        return text


@partial(jax.jit, static_argnames=("model", "n_latents", "dropout"))
def draw_latents(params, model, obs: jax.Array, target: jax.Array, value_index: jax.Array, key: jax.Array,
                 n_latents: int, dropout: str = "off") -> jax.Array:
    """z [Q, n_latents, d, l] for queries obs [Q, N, d], target, value_index [Q] (``dropout`` "all": each latent
    with its own masks, ``latents_with_dropout``)."""
    if dropout == "all":
        return latents_with_dropout(params, model, obs, target, value_index, key, n_latents)
    return model.apply(params, obs, target, value_index, n_latents, method="sample_latents", rngs={"latent": key})


@partial(jax.jit, static_argnames=("model", "n_latents", "n_samples", "mixture", "dropout", "parts"))
def predict_batch(params, model, obs: jax.Array, target: jax.Array, value_index: jax.Array, key: jax.Array,
                  n_latents: int, n_samples: int, mixture: bool = False, dropout: str = "off",
                  scale: jax.Array | None = None, parts: bool = False):
    """Q queries at once. obs [Q, N, d]; target, value_index [Q] -> samples [Q, n_samples, d] and, with
    ``mixture``, the mixture they are drawn from (``sample_decoded``); else None. ``dropout``, ``scale``: the
    inference setting (``InferenceSetting``; scale [2] or None). ``parts``: (centres, deviations) of the
    unscaled draws instead (``decoded_draws``)."""
    k_latent, k_sample = jax.random.split(key)
    z = draw_latents(params, model, obs, target, value_index, k_latent, n_latents, dropout)  # [Q, L, d, l]
    if parts:
        return decoded_draws(params, model, z, target, value_index, k_sample, n_samples, False, dropout)[:2]
    return sample_decoded(params, model, z, target, value_index, k_sample, n_samples, mixture, dropout, scale)


def _row_keys(key: jax.Array, rows: int) -> tuple[jax.Array, jax.Array]:
    """Per row, a key for its own draws and one for its own dropout masks."""
    return jax.random.split(key, rows), jax.random.split(jax.random.fold_in(key, DROPOUT_STREAM), rows)


def latents_with_dropout(params, model, obs: jax.Array, target: jax.Array, value_index: jax.Array, key: jax.Array,
                         n_latents: int) -> jax.Array:
    """z [Q, n_latents, d, l]: each latent drawn from the prior (v2) or encoder (v1) computed with its own dropout
    masks: one embedding per latent, vmapped so that no mask is shared (Flax's attention dropout broadcasts its mask
    over a batch)."""
    Q = obs.shape[0]
    repeat = lambda a: jnp.repeat(a, n_latents, axis=0)
    draw_keys, mask_keys = _row_keys(key, Q * n_latents)

    def one(o, t, v, k_draw, k_mask):
        return model.apply(params, o[None], t[None], v[None], 1, True, method="sample_latents",
                           rngs={"latent": k_draw, "dropout": k_mask})[0, 0]

    z = jax.vmap(one)(repeat(obs), repeat(target), repeat(value_index), draw_keys, mask_keys)
    return z.reshape((Q, n_latents) + z.shape[1:])


def decode_with_dropout(params, model, z: jax.Array, target: jax.Array, value_index: jax.Array, key: jax.Array):
    """The decoder's factored mixtures of latents z [B, d, l] (``decode_query``, ``factor``), each latent decoded
    with its own dropout masks (vmapped: Flax's attention dropout broadcasts one mask over a batch)."""
    _, mask_keys = _row_keys(key, z.shape[0])

    def one(zr, t, v, k):
        weights, means, factors = model.apply(params, zr[None], t[None], v[None], True, True,
                                              method="decode_query", rngs={"dropout": k})
        return weights[0], means[0], factors[0]

    return jax.vmap(one)(z, target, value_index, mask_keys)


def row_scale(scale: jax.Array, target: jax.Array, d: int) -> jax.Array:
    """The diagonal of D per query: scale [2] (target, other), target [Q] -> [Q, d]."""
    return jnp.where(jnp.arange(d)[None, :] == target[:, None], scale[0], scale[1])


def decoded_draws(params, model, z: jax.Array, target: jax.Array, value_index: jax.Array, key: jax.Array,
                  n_samples: int, mixture: bool = False, dropout: str = "off"):
    """The unscaled parts of ``sample_decoded``'s draws: centres [Q, n_samples, d] (each draw's component mean),
    deviations [Q, n_samples, d] (its draw of N(0, u u^T + eps I)) and the mixture (or None); a draw under scale
    D is centre + D deviation."""
    cfg = model.cfg
    Q, n_latents, d, _ = z.shape
    k_pick, k_comp, k_noise = jax.random.split(key, 3)
    pick = jax.random.randint(k_pick, (Q, n_samples), 0, n_latents)  # each sample's latent
    if not mixture and n_samples < n_latents:
        z = jnp.take_along_axis(z, pick[:, :, None, None], axis=1)  # [Q, n_samples, d, l]
        pick = jnp.broadcast_to(jnp.arange(n_samples), (Q, n_samples))
    M = z.shape[1]  # latents decoded per query
    rows = (z.reshape(Q * M, d, z.shape[-1]), jnp.repeat(target, M), jnp.repeat(value_index, M))
    if dropout == "off":
        weights, means, factors = model.apply(params, *rows, False, True, method="decode_query")
    else:
        weights, means, factors = decode_with_dropout(params, model, *rows, key)
    weights = weights.reshape(Q, M, cfg.c)
    means = means.reshape(Q, M, cfg.c, d)
    factors = factors.reshape(Q, M, cfg.c, d, factors.shape[-1])
    comp = jax.random.categorical(k_comp, jnp.log(jnp.take_along_axis(weights, pick[..., None], axis=1)))  # [Q, n]
    query = jnp.arange(Q)[:, None]
    deviations = low_rank_deviation(k_noise, factors[query, pick, comp], cfg.cov_eps)
    if not mixture:
        return means[query, pick, comp], deviations, None
    return means[query, pick, comp], deviations, (weights.reshape(Q, M * cfg.c) / M, means.reshape(Q, M * cfg.c, d),
                                                  low_rank_covariance(factors, cfg.cov_eps).reshape(Q, M * cfg.c, d, d))


def sample_decoded(params, model, z: jax.Array, target: jax.Array, value_index: jax.Array, key: jax.Array,
                   n_samples: int, mixture: bool = False, dropout: str = "off", scale: jax.Array | None = None):
    """n_samples draws per query from the uniform mixture of its L latents' decoded mixtures: latents
    z [Q, L, d, l]; target, value_index [Q] -> samples [Q, n_samples, d] and, with ``mixture``, that mixture:
    weights [Q, L*c], means [Q, L*c, d], covs [Q, L*c, d, d] (else None).

    Each latent has weight 1/L in the mixture, so a sample picks a latent uniformly, then one of its c components
    by the decoded weights, then a draw mean + u xi + sqrt(eps) zeta of that component (its covariance is
    u u^T + eps I). Only the picked latents need decoding: with n_samples < L (and no mixture asked for) each
    sample's picked latent is decoded on its own (a latent picked twice is decoded twice, to the same mixture),
    which is the same joint distribution as decoding all L at n_samples / L of the decoder's work.

    ``dropout`` "decoder" or "all": every decoding has its own dropout masks, so the prediction is the mixture
    over latents and masks (a latent picked twice is decoded with two masks; the returned mixture is each latent
    with one mask). ``scale`` [2] (target, other): draws centre + D deviation and covariances D Sigma D.
    """
    centres, deviations, mix = decoded_draws(params, model, z, target, value_index, key, n_samples, mixture,
                                             dropout)
    if scale is None:
        return centres + deviations, mix
    rows = row_scale(scale, target, z.shape[2])  # [Q, d]
    samples = centres + rows[:, None, :] * deviations
    return samples, None if mix is None else scale_mixture(mix, scale, target)


sample_chunk = jax.jit(sample_decoded, static_argnames=("model", "n_samples", "mixture", "dropout"))
"""``sample_decoded``, compiled: one chunk of draws from latents already drawn (``TrainedModel.predict``)."""


def scale_mixture(mix, scale: jax.Array, target: jax.Array):
    """A predicted mixture (weights [Q, M], means [Q, M, d], covs [Q, M, d, d]) with covariances D Sigma D, D the
    diagonal of ``row_scale(scale, target, d)``."""
    weights, means, covs = mix
    rows = row_scale(scale, target, means.shape[-1])
    return weights, means, covs * rows[:, None, :, None] * rows[:, None, None, :]


def predict_queries(params, model, obs: np.ndarray, target: np.ndarray, value_index: np.ndarray, *,
                    n_latents: int, n_samples: int, seed: int, batch_size: int, progress: bool = False,
                    setting: InferenceSetting = InferenceSetting(), parts: bool = False):
    """Samples [Q, n_samples, d] for many queries, in batches; batch b uses key fold_in(key(seed), b).
    ``parts``: (centres, deviations), each [Q, n_samples, d], of the unscaled draws instead (``decoded_draws``:
    the samples under scale D are centres + D deviations).

    The last batch is padded to ``batch_size`` so that one compiled function serves every batch.
    """
    Q = obs.shape[0]
    outs = [np.empty((Q, n_samples, obs.shape[2]), np.float32) for _ in range(2 if parts else 1)]
    base = jax.random.key(seed)
    scale = None if parts else setting.scale()
    for b, start in enumerate(tqdm(range(0, Q, batch_size), desc="predict", unit="batch", disable=not progress,
                                   mininterval=2.0)):
        stop = min(Q, start + batch_size)
        pad = batch_size - (stop - start)
        take = lambda a: np.concatenate([a[start:stop], np.repeat(a[stop - 1:stop], pad, axis=0)]) if pad else a[start:stop]
        result = predict_batch(params, model, jnp.asarray(take(obs)), jnp.asarray(take(target)),
                               jnp.asarray(take(value_index)), jax.random.fold_in(base, b), n_latents, n_samples,
                               dropout=setting.dropout, scale=scale, parts=parts)
        for out, part in zip(outs, result if parts else result[:1]):
            out[start:stop] = np.asarray(part)[: stop - start]
    for out in outs:
        check_outputs(out)
    return tuple(outs) if parts else outs[0]


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


def split_queries(truth: Samples, source: str = "samples"):
    """Every interventional query of a split: observational samples [Q, N, d] (an SCM's, repeated for each of its
    R' regimes), target [Q] and value index [Q] (int32), Q = S * R' in (SCM, regime) order. InputError (naming
    ``source``, e.g. the file, and the entry) for observational samples check_inputs refuses."""
    S = truth.samples.shape[0]
    regimes = truth.interventional
    observational = truth.samples[:, np.flatnonzero(truth.target < 0)[0]]  # [S, N, d]
    check_inputs(observational, f"{source}: observational samples", ("SCM", "sample", "variable"))
    obs = np.repeat(observational, len(regimes), axis=0)
    target = np.tile(truth.target[regimes], S).astype(np.int32)
    value_index = np.tile(truth.value_index[regimes], S).astype(np.int32)
    return obs, target, value_index


def predict_split(params, model, truth: Samples, *, n_latents: int, seed: int, batch_size: int,
                  progress: bool = False, source: str = "samples",
                  setting: InferenceSetting = InferenceSetting()) -> Samples:
    """Predicted Samples [S, R', N, d] for every interventional regime of every SCM of ``truth``, under the
    inference ``setting``.

    Each query is (the SCM's N observational samples, target, value index); its prediction has N samples.
    InputError (naming ``source``, e.g. the file, and the entry) for observational samples check_inputs refuses.
    """
    S, _, N, d = truth.samples.shape
    regimes = truth.interventional
    obs, target, value_index = split_queries(truth, source)
    samples = predict_queries(params, model, obs, target, value_index, n_latents=n_latents, n_samples=N, seed=seed,
                              batch_size=batch_size, progress=progress, setting=setting)
    return Samples(samples.reshape(S, len(regimes), N, d), truth.target[regimes], truth.value_index[regimes],
                   truth.value[regimes], truth.scm, truth.regime[regimes])
