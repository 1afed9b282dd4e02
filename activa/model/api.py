"""Use a trained ACTIVA model from Python on your own observational data.

    from activa.api import TrainedModel   # re-exported from activa.model.api
    model = TrainedModel.pretrained("gauss2")   # shipped (models/); or .load("results/models/gauss2/model.msgpack")
    pred = model.predict(observational, target=0, value_index=0)   # observational: [N, d] array
    pred.samples     # [N, d] samples of the predicted p(V | do(V_target = values[value_index]))
    pred.weights, pred.means, pred.covs   # the predicted Gaussian mixture ([M], [M, d], [M, d, d])
    model.setting        # how it predicts by default: dropout, covariance scale (chosen on validation data)

The model accepts any number of variables d; ``value_index`` indexes ``model.intervention_values`` (the
values the model was trained with, e.g. (5.0,) for the linear families, (0.0,) = knockout for SERGIO).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from activa.data.format import DataError
from activa.model import architectures, checkpoint, shipped
from activa.model.inference import (InferenceSetting, check_inputs, check_outputs, draw_latents, predict_batch,
                                    sample_chunk)

CHUNK = 1 << 16
"""Samples drawn per compiled call: a larger ``n_samples`` is drawn in chunks of this many from the same latents,
so the working set stays near the result's size (a single call for 10**6 samples took 1.5 GB for an 8 MB result)."""
MAX_RESULT_BYTES = 1 << 30
"""The largest result ``predict`` returns: n_samples * d float32 values (1 GiB; e.g. 134 million samples of two
variables); ask for more in several calls with other seeds."""
MAX_LATENTS = 10_000
"""The most latents per query: they are decoded at once (v2 section 6.1 uses 50)."""
PRECISIONS = ("float32", "bfloat16")


def _integer(name: str, value, low: int, high: int, what: str = "") -> int:
    """``value`` as an int if it is an integer (not a bool) in low..high, else ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name}: expected an integer in {low:,}..{high:,}{what}, got {value!r}")
    return int(value)


class Prediction(NamedTuple):
    """samples [n, d]; the mixture of the L decoded latents: weights [M], means [M, d], covs [M, d, d]."""

    samples: np.ndarray
    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray


class TrainedModel:
    """A trained ACTIVA model (v2 or v1 architecture): parameters, architecture and the intervention values it knows."""

    def __init__(self, params, model_config, meta: dict, precision: str = "float32"):
        self.params = params
        self.config = model_config
        self.meta = meta
        self.module = architectures.build(model_config, precision)
        where = f"model '{meta.get('variant')}': metadata key 'inference'"
        self.setting = (InferenceSetting.from_dict(meta["inference"]["setting"], where) if "inference" in meta
                        else InferenceSetting())

    @classmethod
    def load(cls, path: str | Path, precision: str = "float32") -> "TrainedModel":
        """A trained-model file; ``precision`` "bfloat16" predicts with bf16 matrix products (default float32).
        The file's content checksum is verified (``activa.model.checkpoint.load``)."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision: expected one of {', '.join(PRECISIONS)}, got {precision!r}")
        tree, meta = checkpoint.load(path)
        if "model_config" not in meta:
            raise DataError(f"{path}: not a trained-model file (no model_config in its metadata)")
        params = jax.tree.map(jnp.asarray, tree["params"])
        return cls(params, architectures.config_from_meta(meta, str(path)), meta, precision)

    @classmethod
    def pretrained(cls, name: str, manifest: str | Path | None = None, precision: str = "float32") -> "TrainedModel":
        """A model shipped with the project (``models/manifest.json``), e.g. ``TrainedModel.pretrained("gauss8")``.

        Names: ``activa.model.shipped.names()`` (gauss2, beta2, gauss8, beta8, sergio: v2 Table 1's variants).
        The file's SHA-256 is checked against the manifest first; ``model.meta`` says how it was trained.
        """
        if not isinstance(name, str):
            raise ValueError(f"name: expected a shipped model's name (str), got {name!r}")
        path, _, _ = shipped.verified(name, shipped.MANIFEST if manifest is None else manifest)
        return cls.load(path, precision)

    @property
    def intervention_values(self) -> tuple[float, ...]:
        return tuple(self.meta["intervention_values"])

    def predict(self, observational, target: int, value_index: int, *, n_samples: int | None = None,
                n_latents: int | None = None, seed: int = 0, setting: InferenceSetting | None = None) -> Prediction:
        """Predict p(V | do(V_target = intervention_values[value_index])) from observational samples [N, d].

        n_latents: latents drawn per query (1..MAX_LATENTS); by default the model config's ``n_latents`` (50, v2
        section 6.1).
        n_samples: samples drawn from the predicted mixture (>= 1); by default N. Up to ``CHUNK`` in one call, more in
        chunks of ``CHUNK`` from the same latents; a result over ``MAX_RESULT_BYTES`` is refused.
        seed: an integer in 0..2**32 - 1 (JAX's keys hold 32 bits: larger seeds would repeat smaller ones).
        setting: how to predict (dropout, covariance scale); by default ``self.setting``, the one chosen for the
        model on validation data and stored in its file (the tables' setting), else none (dropout off, scale 1).
        With dropout on, ``weights``, ``means`` and ``covs`` are the L latents decoded with one mask each.
        """
        setting = self.setting if setting is None else setting
        if not isinstance(setting, InferenceSetting):
            raise ValueError(f"setting: expected an activa.model.inference.InferenceSetting, got {setting!r}")
        x = np.asarray(observational)
        if x.dtype.kind not in "fiu":
            raise ValueError(f"observational: expected an array of real numbers, got dtype {x.dtype}")
        if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
            raise ValueError(f"observational: expected shape [N, d] with N >= 2 samples and d >= 1 variables, "
                             f"got shape {x.shape}")
        check_inputs(x, "observational", ("sample", "variable"))
        N, d = x.shape
        if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < d:
            raise ValueError(f"target: expected a variable index in 0..{d - 1}, got {target!r}")
        n_values = self.config.n_values
        if isinstance(value_index, bool) or not isinstance(value_index, (int, np.integer)) \
                or not 0 <= value_index < n_values:
            raise ValueError(f"value_index: expected an index in 0..{n_values - 1} into the model's intervention "
                             f"values {self.intervention_values}, got {value_index!r}")
        n_latents = _integer("n_latents", self.config.n_latents if n_latents is None else n_latents, 1, MAX_LATENTS)
        most = MAX_RESULT_BYTES // (4 * d)
        n_samples = _integer("n_samples", N if n_samples is None else n_samples, 1, most,
                             f" (a result of at most {MAX_RESULT_BYTES >> 20:,} MiB for {d} variables: draw more in "
                             "several calls with other seeds)")
        seed = _integer("seed", seed, 0, 2**32 - 1)
        obs, t, v = jnp.asarray(x[None], jnp.float32), jnp.asarray([target]), jnp.asarray([value_index])
        key = jax.random.key(seed)
        if n_samples <= CHUNK:
            samples, (w, m, c) = predict_batch(self.params, self.module, obs, t, v, key, n_latents, n_samples,
                                               mixture=True, dropout=setting.dropout, scale=setting.scale())
            samples = np.asarray(samples[0])
        else:  # predict_batch's draws, in chunks from the same latents
            k_latent, k_sample = jax.random.split(key)
            z = draw_latents(self.params, self.module, obs, t, v, k_latent, n_latents, setting.dropout)
            samples = np.empty((n_samples, d), np.float32)
            for chunk, start in enumerate(range(0, n_samples, CHUNK)):
                draws, mix = sample_chunk(self.params, self.module, z, t, v, jax.random.fold_in(k_sample, chunk),
                                          CHUNK, chunk == 0, setting.dropout, setting.scale())
                if chunk == 0:
                    w, m, c = mix
                samples[start:start + CHUNK] = np.asarray(draws[0, :n_samples - start])
        check_outputs(samples[None])
        return Prediction(samples, np.asarray(w[0]), np.asarray(m[0]), np.asarray(c[0]))
