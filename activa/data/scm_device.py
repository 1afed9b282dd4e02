"""Linear SCMs drawn on the device inside a training step, in JAX: the training recipe ``data: fresh``.

The same distribution as ``activa.data.scm`` (the numpy generator that writes the splits; its docstring has the
model): directed Erdos-Renyi graphs made acyclic by removing uniformly random edges (a uniformly random order of
the edges, the shortest prefix whose removal leaves a DAG; acyclicity by nilpotency), or graphs drawn uniformly
from the family's fixed pool (ACTIVA v1's ``n_graphs``); |beta| ~ U(weight_range) with a random sign; Gaussian or
Beta noise (Beta's a, b ~ U(range) per SCM and variable); do(V_t = value + N(0, jitter_std^2)) cutting t's incoming
edges. Only the regimes a training step uses are drawn: the observational one and one uniformly chosen
interventional regime per SCM (``regimes = "one"``), or every interventional regime (``"all"``). The streams are
JAX's (``key``), not numpy's, so a batch is not any split's SCM: a model trained on fresh SCMs never sees the same
SCM twice. ``tests/test_scm_device.py`` checks the graphs, parameters and samples against the numpy generator
and the closed-form moments.

Shapes: B SCMs, d variables, N samples per regime, R' = d * |I| interventional regimes, R_b regimes per SCM
in the batch (1 or R').
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class DrawnSCMs(NamedTuple):
    """B linear SCMs: adjacency [B, d, d] bool (i -> j at [i, j]), weights [B, d, d], noise_params [B, d, 2]."""

    adjacency: jax.Array
    weights: jax.Array
    noise_params: jax.Array


def is_acyclic(adjacency: jax.Array) -> jax.Array:
    """[..., d, d] bool -> [...] bool: True where the graph has no directed cycle (A^(2^k) = 0 for 2^k >= d)."""
    d = adjacency.shape[-1]
    power = adjacency.astype(jnp.float32)
    reach = 1
    while reach < d:
        power = jnp.minimum(power @ power, 1.0)
        reach *= 2
    return ~jnp.any(power > 0, axis=(-2, -1))


def sample_graphs(key: jax.Array, n: int, d: int, edge_prob: float) -> jax.Array:
    """n directed ER graphs made acyclic by removing uniformly random edges: [n, d, d] bool."""
    k_edges, k_order = jax.random.split(key)
    adjacency = (jax.random.uniform(k_edges, (n, d, d)) < edge_prob) & ~jnp.eye(d, dtype=bool)
    keys = jnp.where(adjacency, jax.random.uniform(k_order, (n, d, d)), jnp.inf).reshape(n, d * d)
    rank = jnp.argsort(jnp.argsort(keys, axis=1), axis=1).reshape(n, d, d)  # removal order of each edge
    prefixes = jnp.arange(d * d + 1)  # remove the first k edges of the order, k = 0 .. d*d
    candidates = adjacency[:, None] & (rank[:, None] >= prefixes[None, :, None, None])  # [n, d*d+1, d, d]
    removed = jnp.argmax(is_acyclic(candidates), axis=1)  # the shortest prefix that leaves a DAG
    return adjacency & (rank >= removed[:, None, None])


def sample_scms(key: jax.Array, n: int, spec: dict, pool: jax.Array | None = None) -> DrawnSCMs:
    """n SCMs of family ``spec`` (graphs from ``pool`` [K, d, d] if given, else fresh)."""
    d = spec["n_vars"]
    k_graph, k_mag, k_sign, k_a, k_b = jax.random.split(key, 5)
    if pool is None:
        adjacency = sample_graphs(k_graph, n, d, spec["edge_prob"])
    else:
        adjacency = pool[jax.random.randint(k_graph, (n,), 0, pool.shape[0])]
    low, high = spec["weight_range"]
    magnitude = jax.random.uniform(k_mag, (n, d, d), minval=low, maxval=high)
    sign = jnp.where(jax.random.uniform(k_sign, (n, d, d)) < 0.5, -1.0, 1.0)
    weights = jnp.where(adjacency, sign * magnitude, 0.0)
    noise = spec["noise"]
    if noise["family"] == "gaussian":
        params = jnp.stack([jnp.zeros((n, d)), jnp.full((n, d), float(noise["scale"]))], axis=-1)
    elif noise["family"] == "beta":
        a = jax.random.uniform(k_a, (n, d), minval=noise["a_range"][0], maxval=noise["a_range"][1])
        b = jax.random.uniform(k_b, (n, d), minval=noise["b_range"][0], maxval=noise["b_range"][1])
        params = jnp.stack([a, b], axis=-1)
    else:
        raise ValueError(f"noise.family: expected 'gaussian' or 'beta', got {noise['family']!r}")
    return DrawnSCMs(adjacency, weights, params)


def _noise(key: jax.Array, scms: DrawnSCMs, shape: tuple, family: str) -> jax.Array:
    """eps [B, ..., N, d] of each SCM's noise distribution; ``shape`` = (B, ..., N, d)."""
    extra = (slice(None),) + (None,) * (len(shape) - 2)
    p0, p1 = scms.noise_params[extra + (slice(None), 0)], scms.noise_params[extra + (slice(None), 1)]
    if family == "gaussian":
        return p0 + p1 * jax.random.normal(key, shape)
    return jax.random.beta(key, jnp.broadcast_to(p0, shape), jnp.broadcast_to(p1, shape))


def _solve(eps: jax.Array, weights: jax.Array) -> jax.Array:
    """v = eps inv(I - B) for nilpotent B: eps [..., N, d], weights [..., d, d] (inv(I - B) = sum_k B^k, k < d)."""
    d = weights.shape[-1]
    inverse = power = jnp.broadcast_to(jnp.eye(d), weights.shape)
    for _ in range(d - 1):
        power = power @ weights
        inverse = inverse + power
    return eps @ inverse


def sample_regimes(key: jax.Array, scms: DrawnSCMs, spec: dict, target: jax.Array, value_index: jax.Array):
    """N samples of the observational regime [B, N, d] and of do(V_t = values[k] + jitter) for the regimes
    (target, value_index) [B, R_b] of each SCM: [B, R_b, N, d]. Every regime has its own noise draw."""
    n_scm, r_b = target.shape
    d, n = spec["n_vars"], spec["samples_per_regime"]
    values = jnp.asarray(spec["intervention_values"], jnp.float32)
    k_obs, k_int, k_jitter = jax.random.split(key, 3)
    family = spec["noise"]["family"]
    obs = _solve(_noise(k_obs, scms, (n_scm, n, d), family), scms.weights)
    on_target = jax.nn.one_hot(target, d, dtype=bool)  # [B, R_b, d]
    mutilated = jnp.where(on_target[..., None, :], 0.0, scms.weights[:, None])  # column t zeroed: [B, R_b, d, d]
    intervened = values[value_index][..., None] + spec["jitter_std"] * jax.random.normal(k_jitter, (n_scm, r_b, n))
    eps = _noise(k_int, scms, (n_scm, r_b, n, d), family)
    eps = jnp.where(on_target[:, :, None, :], intervened[..., None], eps)
    return obs, jnp.where(on_target[:, :, None, :], eps, _solve(eps, mutilated))  # V_t = eps_t exactly


def sample_batch(key: jax.Array, spec: dict, n_scm: int, regimes: str, pool: jax.Array | None = None):
    """A training batch of fresh SCMs: obs [B*R_b, N, d], intv [B*R_b, N, d], target and value_index [B*R_b].

    ``regimes``: "one" (R_b = 1, the regime uniform over the R' interventional ones) or "all" (R_b = R', ordered
    SCM-major, as ``activa.model.train`` orders a split's batch).
    """
    n_values = len(spec["intervention_values"])
    n_int = spec["n_vars"] * n_values
    k_scm, k_regime, k_samples = jax.random.split(key, 3)
    scms = sample_scms(k_scm, n_scm, spec, pool)
    if regimes == "all":
        regime = jnp.broadcast_to(jnp.arange(n_int), (n_scm, n_int))
    else:
        regime = jax.random.randint(k_regime, (n_scm, 1), 0, n_int)
    target, value_index = regime // n_values, regime % n_values  # regime order of Regimes.single_target
    obs, intv = sample_regimes(k_samples, scms, spec, target, value_index)
    r_b, (n, d) = regime.shape[1], obs.shape[1:]
    return (jnp.repeat(obs, r_b, axis=0), intv.reshape(n_scm * r_b, n, d), target.reshape(-1).astype(jnp.int32),
            value_index.reshape(-1).astype(jnp.int32))


def graph_pool_of(meta: dict) -> np.ndarray | None:
    """The fixed graph pool [K, d, d] of a training split's family (from its file's metadata), or None."""
    spec = meta["config"]
    if spec.get("n_graphs") is None:
        return None
    from activa.data.scm import graph_pool, seed_sequence

    return graph_pool(spec, seed_sequence(meta["seed"], "graph_pool", meta["family"]))
