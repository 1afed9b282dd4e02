"""Linear additive structural causal models (ACTIVA v2 Appendix A.2.1, v1 Appendix A.1), vectorised.

Model: V_j = sum_{i in Pa(j)} beta_ij V_i + eps_j, written for a row vector of one sample as
``v = v @ B + eps`` with ``B[i, j] = beta_ij`` for the edge i -> j, hence ``v = eps @ inv(I - B)``.

Graphs (the Causal Playground procedure the papers used): a directed Erdos-Renyi graph where each ordered
pair (i, j), i != j, is an edge with probability ``edge_prob`` (so both i -> j and j -> i can be drawn);
then, while the graph has a cycle, one of its current edges is removed uniformly at random. Removing
uniformly random edges one at a time is the same as drawing a uniformly random order of the edges and
removing them in that order; we draw that order up front (one uniform key per possible edge) and find, for
all graphs at once, the shortest prefix of the order whose removal leaves a DAG. Acyclicity is tested by
nilpotency of the adjacency matrix (A^(2^k) = 0 for 2^k >= d).

Weights: ``|beta_ij| ~ U(weight_range)`` with a random sign, i.e. uniform on [-2, -0.5] U [0.5, 2].
Noise: Gaussian ``eps_j ~ N(0, scale^2)``, or Beta ``eps_j ~ Beta(a_j, b_j)``, ``a_j, b_j ~ U(range)``
drawn per SCM and variable.

Regimes: regime 0 is observational; regime ``1 + t * n_values + k`` is do(V_t = values[k] + jitter) with
``jitter ~ N(0, jitter_std^2)`` drawn per sample (v2 adds N(0, 0.1) "for numerical stability").
The intervention cuts the incoming edges of t: column t of B is zeroed and eps_t is replaced.

Seeding: the SCMs of one (family, split) come in blocks of ``BLOCK`` SCMs, each block drawing from its own
child of the (family, split) ``SeedSequence``, in a fixed order (graphs, weights, noise parameters, noise,
jitter). Results therefore do not depend on how the work is scheduled, and changing only ``jitter_std``
changes only the intervened values.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

BLOCK = 1024
NOISE_PARAM_NAMES = {"gaussian": ("loc", "scale"), "beta": ("a", "b")}


@dataclass(frozen=True)
class LinearSCMs:
    """A batch of S linear SCMs over d variables.

    adjacency: [S, d, d] bool, ``adjacency[s, i, j]`` is the edge i -> j.
    weights: [S, d, d] float64, beta_ij on edges, 0 elsewhere.
    noise_family: "gaussian" or "beta".
    noise_params: [S, d, 2] float64, (loc, scale) or (a, b) per variable.
    """

    adjacency: np.ndarray
    weights: np.ndarray
    noise_family: str
    noise_params: np.ndarray

    @property
    def n_scm(self) -> int:
        return self.weights.shape[0]

    @property
    def n_vars(self) -> int:
        return self.weights.shape[1]

    def noise_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of eps, each [S, d]."""
        p0, p1 = self.noise_params[..., 0], self.noise_params[..., 1]
        if self.noise_family == "gaussian":
            return p0.copy(), p1**2
        a, b = p0, p1
        return a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))


@dataclass(frozen=True)
class Regimes:
    """The R regimes of every SCM: regime 0 observational, then do(V_t = values[k]) for t, k.

    target: [R] int, -1 for observational. value_index: [R] int, -1 for observational.
    value: [R] float, NaN for observational. values: the configured intervention values.
    """

    target: np.ndarray
    value_index: np.ndarray
    value: np.ndarray
    values: tuple[float, ...]

    @classmethod
    def single_target(cls, n_vars: int, values) -> "Regimes":
        values = tuple(float(v) for v in values)
        t, k = np.meshgrid(np.arange(n_vars), np.arange(len(values)), indexing="ij")
        target = np.concatenate([[-1], t.ravel()])
        value_index = np.concatenate([[-1], k.ravel()])
        value = np.concatenate([[np.nan], np.asarray(values)[k.ravel()]])
        return cls(target.astype(np.int16), value_index.astype(np.int16), value, values)

    def __len__(self) -> int:
        return len(self.target)


def seed_sequence(seed: int, *names: str) -> np.random.SeedSequence:
    """The SeedSequence of a named stream, e.g. ("simulate", "gauss2", "test"); stable across runs."""
    return np.random.SeedSequence(seed, spawn_key=tuple(zlib.crc32(n.encode()) for n in names))


def is_acyclic(adjacency: np.ndarray) -> np.ndarray:
    """[..., d, d] bool -> [...] bool: True where the directed graph has no cycle."""
    d = adjacency.shape[-1]
    power = adjacency.astype(np.float32)
    reach = 1
    while reach < d:
        power = np.minimum(power @ power, 1.0)
        reach *= 2
    return ~power.any(axis=(-2, -1))


def sample_graphs(rng: np.random.Generator, n_scm: int, n_vars: int, edge_prob: float) -> np.ndarray:
    """Directed ER graphs made acyclic by removing uniformly random edges: [S, d, d] bool."""
    d = n_vars
    adjacency = (rng.random((n_scm, d, d)) < edge_prob) & ~np.eye(d, dtype=bool)
    keys = np.where(adjacency, rng.random((n_scm, d, d)), np.inf).reshape(n_scm, d * d)
    order = np.argsort(keys, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(d * d), order.shape), axis=1)
    rank = rank.reshape(n_scm, d, d)
    removed = np.zeros(n_scm, dtype=np.int64)
    pending = np.flatnonzero(~is_acyclic(adjacency))
    k = 0
    while pending.size:
        k += 1
        ok = is_acyclic(adjacency[pending] & (rank[pending] >= k))
        removed[pending[ok]] = k
        pending = pending[~ok]
    return adjacency & (rank >= removed[:, None, None])


def graph_pool(spec: dict, seed: np.random.SeedSequence) -> np.ndarray:
    """[K, d, d] bool: the first K = ``spec["n_graphs"]`` distinct graphs the family's generator draws.

    ACTIVA v1 builds its datasets over a fixed set of graphs (3 for two variables, i.e. all of them;
    2,000 for eight), each instantiated with fresh parameters; the pool is shared by all splits.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    k, d = spec["n_graphs"], spec["n_vars"]
    pool, seen = [], set()
    for _ in range(1000):
        for graph in sample_graphs(rng, max(64, k), d, spec["edge_prob"]):
            if graph.tobytes() not in seen:
                seen.add(graph.tobytes())
                pool.append(graph)
                if len(pool) == k:
                    return np.stack(pool)
    raise ValueError(f"n_graphs: found only {len(pool)} distinct graphs of {d} variables, {k} requested")


def sample_scms(rng: np.random.Generator, n_scm: int, spec: dict, pool: np.ndarray | None = None) -> LinearSCMs:
    """Draw graphs (or pick them uniformly from ``pool``), weights and noise parameters of ``n_scm`` SCMs."""
    d = spec["n_vars"]
    if pool is None:
        adjacency = sample_graphs(rng, n_scm, d, spec["edge_prob"])
    else:
        adjacency = pool[rng.integers(len(pool), size=n_scm)]
    low, high = spec["weight_range"]
    magnitude = rng.uniform(low, high, size=(n_scm, d, d))
    sign = np.where(rng.random((n_scm, d, d)) < 0.5, -1.0, 1.0)
    weights = np.where(adjacency, sign * magnitude, 0.0)
    noise = spec["noise"]
    if noise["family"] == "gaussian":
        params = np.stack([np.zeros((n_scm, d)), np.full((n_scm, d), float(noise["scale"]))], axis=-1)
    elif noise["family"] == "beta":
        a = rng.uniform(*noise["a_range"], size=(n_scm, d))
        b = rng.uniform(*noise["b_range"], size=(n_scm, d))
        params = np.stack([a, b], axis=-1)
    else:  # the schema rules this out; keep the error for direct callers
        raise ValueError(f"noise.family: expected 'gaussian' or 'beta', got {noise['family']!r}")
    return LinearSCMs(adjacency, weights, noise["family"], params)


def mutilated_inverse(weights: np.ndarray, regimes: Regimes) -> np.ndarray:
    """inv(I - B_r) per SCM and regime, B_r = B with column t zeroed: [S, R, d, d]."""
    d = weights.shape[-1]
    keep = np.ones((len(regimes), d))
    intervened = regimes.target >= 0
    keep[np.flatnonzero(intervened), regimes.target[intervened]] = 0.0
    mutilated = weights[:, None, :, :] * keep[None, :, None, :]
    return np.linalg.inv(np.eye(d) - mutilated)


def sample_regimes(rng: np.random.Generator, scms: LinearSCMs, regimes: Regimes, n_samples: int,
                   jitter_std: float) -> np.ndarray:
    """N samples of every regime of every SCM: [S, R, N, d] float64."""
    S, d, R = scms.n_scm, scms.n_vars, len(regimes)
    p0, p1 = scms.noise_params[:, None, None, :, 0], scms.noise_params[:, None, None, :, 1]
    shape = (S, R, n_samples, d)
    if scms.noise_family == "gaussian":
        eps = p0 + p1 * rng.standard_normal(shape)
    else:
        eps = rng.beta(np.broadcast_to(p0, shape), np.broadcast_to(p1, shape))
    jitter = rng.standard_normal((S, R, n_samples))
    r = np.flatnonzero(regimes.target >= 0)
    t = regimes.target[r]
    # advanced indices split by a slice put the regime axis first: [len(r), S, N]
    eps[:, r, :, t] = regimes.value[r][:, None, None] + jitter_std * jitter[:, r, :].transpose(1, 0, 2)
    samples = eps @ mutilated_inverse(scms.weights, regimes)
    samples[:, r, :, t] = eps[:, r, :, t]  # V_t = eps_t exactly, free of the inverse's round-off
    return samples


def interventional_moments(scms: LinearSCMs, regimes: Regimes, jitter_std: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form mean [S, R, d] and covariance [S, R, d, d] of every regime."""
    mean_eps, var_eps = scms.noise_moments()
    R = len(regimes)
    mean = np.repeat(mean_eps[:, None, :], R, axis=1)
    var = np.repeat(var_eps[:, None, :], R, axis=1)
    r = np.flatnonzero(regimes.target >= 0)
    mean[:, r, regimes.target[r]] = regimes.value[r]
    var[:, r, regimes.target[r]] = jitter_std**2
    inverse = mutilated_inverse(scms.weights, regimes)
    mu = np.einsum("srd,srde->sre", mean, inverse)
    cov = np.einsum("srdi,srd,srdj->srij", inverse, var, inverse)
    return mu, cov


def simulate(spec: dict, n_scm: int, seed: np.random.SeedSequence, progress=None,
             pool: np.ndarray | None = None) -> tuple[LinearSCMs, Regimes, np.ndarray]:
    """Simulate ``n_scm`` SCMs of family ``spec``: (scms, regimes, samples [S, R, N, d] float64).

    ``progress`` is an optional callable receiving the number of SCMs finished after each block;
    ``pool`` ([K, d, d], see ``graph_pool``) restricts the graphs to a fixed set.
    """
    regimes = Regimes.single_target(spec["n_vars"], spec["intervention_values"])
    n_blocks = -(-n_scm // BLOCK)
    parts, samples = [], []
    for child, start in zip(seed.spawn(n_blocks), range(0, n_scm, BLOCK)):
        rng = np.random.Generator(np.random.PCG64(child))
        scms = sample_scms(rng, min(BLOCK, n_scm - start), spec, pool)
        samples.append(sample_regimes(rng, scms, regimes, spec["samples_per_regime"], spec["jitter_std"]))
        parts.append(scms)
        if progress is not None:
            progress(scms.n_scm)
    scms = LinearSCMs(
        adjacency=np.concatenate([p.adjacency for p in parts]),
        weights=np.concatenate([p.weights for p in parts]),
        noise_family=parts[0].noise_family,
        noise_params=np.concatenate([p.noise_params for p in parts]),
    )
    return scms, regimes, np.concatenate(samples)


# The family-kind interface (activa.data.families): kind "linear".

def make_split(config: dict, family: str, spec: dict, n_scm: int, seed: np.random.SeedSequence,
               resources=None, progress=None, workers: int = 1) -> tuple[LinearSCMs, Regimes, np.ndarray]:
    """``simulate`` on the family's graphs: v1's fixed set (``n_graphs``, from ``seed_sequence(seed, "graph_pool",
    family)``, shared by the splits) or fresh ones. No resources; one process."""
    pool = None
    if spec["n_graphs"] is not None:
        pool = graph_pool(spec, seed_sequence(config["seed"], "graph_pool", family))
    return simulate(spec, n_scm, seed, progress=progress, pool=pool)


def scm_columns(params: LinearSCMs) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """The ``.scms.parquet`` columns: adjacency, weights beta_ij, the noise parameters and their names."""
    return (params.adjacency, params.weights, params.noise_params,
            {"noise_family": params.noise_family, "noise_param_names": NOISE_PARAM_NAMES[params.noise_family]})


def draw_truth(truth, scms, spec: dict, rng: np.random.Generator, resources=None) -> np.ndarray:
    """A new independent draw of every regime of ``truth`` (Samples) from its SCMs (SCMTable): [S, R, N, d]."""
    linear = LinearSCMs(scms.adjacency.astype(bool), scms.weights, scms.meta["noise_family"], scms.noise_params)
    regimes = Regimes(truth.target, truth.value_index, truth.value.astype(np.float64), ())
    return sample_regimes(rng, linear, regimes, truth.samples.shape[2], spec["jitter_std"])


def true_means(scms, truth, pooled_means: np.ndarray, runs: int, resources=None) -> tuple:
    """(TrueMeans, source): the closed-form means of every regime."""
    from activa.eval.effects import closed_form

    return closed_form(scms, truth), "closed form"
