"""SERGIO (Dibaeinia & Sinha 2020) with gene knockouts, as AVICI's version runs it, vectorised over simulations.

One simulation = one gene-regulatory network with sampled parameters, run once per condition: the
observational (wild type) one and the knockout of every gene. Each condition is an independent run of the
reference's steady-state simulator; we run all simulations x conditions x cell types of a block at once.

Model (per simulation: hill coefficient n, decay lambda and noise q are scalars drawn from value sets):
- Genes are layered by longest path to a sink: level 0 = no targets, level l = 1 + max level of its
  targets. Levels are simulated from the highest (master regulators) down.
- Production of a master regulator in cell type c: its basal rate b[g, c]. Of a target:
  sum over regulators r of |k_rg| * H(x_r), with H(x) = x^n / (h^n + x^n) for k_rg > 0 and 1 - that for
  k_rg < 0 (H = 0 or 1 at x = 0), where the half-response h is the regulator's mean expression (its mean
  over its cells and cell types).
- Chemical Langevin dynamics, 'dpd' noise, Euler-Maruyama with step dt:
  x <- max(0, x + dt (P - lambda x) + sqrt(dt) q (sqrt(P) w1 + sqrt(lambda x) w2)), w1, w2 ~ N(0, 1).
- A gene at level l starts at its expected steady state (P / lambda with the regulators' mean
  expressions) and its trajectory has T_l = sampling_state * cells + safety_steps * l values (T_l - 1
  steps); at step t a target reads its regulators' values at step t of their own trajectories.
- Cells: per condition, ``cells`` indices drawn uniformly (with replacement) from the last
  sampling_state * cells values; a gene's expression in cell i is its trajectory at T_l + idx_i.
- Knockout of gene i: its production and initial value are 0, so it stays exactly 0.
- Half-responses (``half_response``): "per_condition" (the reference) recomputes them in every run from that
  run's regulator means, so a knockout's effect barely passes beyond direct children; "observational" takes
  them from the observational run of the same simulation, so effects propagate down the graph.

Parameters as the reference samples them: k = |U(k_range)| per (regulator, target) with the sign + with
probability p_r ~ Beta(sign_beta) drawn per regulator; b ~ U(b_range) per (gene, cell type); n, lambda, q
uniformly from ``hill_values``, ``decay_values``, ``noise_values``. Graphs: ``activa.data.grn`` modules of the
networks listed in ``networks``, one network chosen uniformly per simulation. No technical noise (the papers
do not state any); ``n_cell_types`` (default 1) is a config value.

Seeding: as ``activa.data.scm.simulate``: blocks of ``BLOCK`` simulations, each from its own child SeedSequence
(graphs, parameters, then dynamics), so results do not depend on scheduling.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from activa.data import grn
from activa.data.scm import Regimes

BLOCK = 256


@dataclass(frozen=True)
class SergioParams:
    """S simulations over g genes, C cell types.

    adjacency [S, g, g] uint8 (edge r -> g); k [S, g, g] signed interaction strengths (0 off edges);
    basal [S, g, C] basal rates (used for master regulators); hill, decay, noise [S].
    """

    adjacency: np.ndarray
    k: np.ndarray
    basal: np.ndarray
    hill: np.ndarray
    decay: np.ndarray
    noise: np.ndarray

    @property
    def n_scm(self) -> int:
        return self.adjacency.shape[0]


def levels(adjacency: np.ndarray) -> np.ndarray:
    """[S, g] longest-path level of every gene: 0 without targets, else 1 + the maximum of its targets'."""
    adj = adjacency.astype(bool)
    level = np.zeros(adj.shape[:2], np.int64)
    for _ in range(adj.shape[1]):
        masked = np.where(adj, level[:, None, :] + 1, 0)
        level = masked.max(axis=2)
    return level


def sample_params(rng: np.random.Generator, adjacency: np.ndarray, spec: dict) -> SergioParams:
    """Interaction strengths, basal rates and per-simulation n, lambda, q for graphs [S, g, g]."""
    S, g, _ = adjacency.shape
    k = np.abs(rng.uniform(*spec["k_range"], size=(S, g, g)))
    p_positive = rng.beta(*spec["sign_beta"], size=(S, g, 1))
    sign = np.where(rng.random((S, g, g)) < p_positive, 1.0, -1.0)
    k = k * sign * adjacency
    basal = rng.uniform(*spec["b_range"], size=(S, g, spec["n_cell_types"]))
    hill = rng.choice(np.asarray(spec["hill_values"], float), size=S)
    decay = rng.choice(np.asarray(spec["decay_values"], float), size=S)
    noise = rng.choice(np.asarray(spec["noise_values"], float), size=S)
    return SergioParams(adjacency.astype(np.uint8), k, basal, hill, decay, noise)


def _activation(x: np.ndarray, half_n: np.ndarray, n: np.ndarray) -> np.ndarray:
    """x^n / (h^n + x^n), and 0 at x = 0 (the reference's convention, also when h = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        xn = x**n
        return np.where(x > 0, xn / (half_n + xn), 0.0)


def simulate_conditions(rng: np.random.Generator, params: SergioParams, knockout: np.ndarray, cells: int, spec: dict,
                        half_response: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Run every simulation in every condition: (expression [S, R, C * cells, g], mean [S, R, g]).

    knockout: [R, g] bool, the genes knocked out in each condition. half_response: [S, R, g] regulator
    means to use as half-responses (the "observational" mode passes the observational run's); None
    recomputes them from each run (the reference). ``mean`` is each gene's mean expression per run.
    """
    S, g, _ = params.adjacency.shape
    C = params.basal.shape[-1]
    R = len(knockout)
    dt = spec["dt"]
    sqrt_dt = np.sqrt(dt)
    window = spec["sampling_state"] * cells
    level = levels(params.adjacency)  # [S, g]
    top = int(level.max())
    lengths = window + spec["safety_steps"] * np.arange(top + 1)  # T_l
    traj = np.zeros((int(lengths[-1]), S, R, C, g))  # time first: each step reads one contiguous slice
    idx = rng.integers(-window, 0, size=(S, R, cells))  # one draw per run, shared by its genes
    mean = np.zeros((S, R, g))
    is_master = ~params.adjacency.any(axis=1)  # [S, g]
    # sum_r |k_rt| H_rt(x_r) = sum_r k_rt act(x_r) + sum_r |k_rt| [k_rt < 0]: one matrix product per step
    k = params.k[:, None]  # [S, 1, g_r, g_t]
    repressed = np.where(params.k < 0, -params.k, 0.0).sum(axis=1)[:, None, None, :]  # [S, 1, 1, g_t]
    n = params.hill[:, None, None, None]
    for lv in range(top, -1, -1):
        # the genes at this level, as a flat list of (simulation, gene) pairs: only they move
        s_at, g_at = np.nonzero(level == lv)
        at = (level == lv)[:, None, None, :]  # [S, 1, 1, g]
        T = int(lengths[lv])
        half_n = (mean if half_response is None else half_response)[:, :, None, :] ** n  # [S, R, 1, g_r]
        master = is_master[s_at, g_at][:, None, None]  # [A, 1, 1]
        basal_at = params.basal[s_at, g_at][:, None, :]  # [A, 1, C]
        alive_at = ~knockout[:, g_at].T[:, :, None]  # [A, R, 1]
        lam_at, q_at = params.decay[s_at][:, None, None], params.noise[s_at][:, None, None]
        any_target = not master.all()

        def production(x):  # x: [S, R, C, g] all genes' values -> production rates of this level's [A, R, C]
            if any_target:
                target = (_activation(x, half_n, n) @ k + repressed)[s_at, :, :, g_at]
                target = np.maximum(target, 0.0)  # >= 0 up to rounding
            else:
                target = 0.0
            return np.where(master, basal_at, target) * alive_at

        # expected steady state, from the regulators' means per cell type
        x = production(_snapshots(traj, idx, lengths, level).mean(axis=-1)) / lam_at  # [A, R, C]
        traj[0][s_at, :, :, g_at] = x
        noise = rng.standard_normal((T - 1, 2) + x.shape, dtype=np.float32)  # per step: production, decay
        for t in range(T - 1):
            p = production(traj[t])
            decay = lam_at * x
            w = q_at * (np.sqrt(p) * noise[t, 0] + np.sqrt(decay) * noise[t, 1])
            x = np.maximum(0.0, x + dt * (p - decay) + sqrt_dt * w)
            traj[t + 1][s_at, :, :, g_at] = x
        mean = np.where(at[:, :, 0], _snapshots(traj, idx, lengths, level).mean(axis=(2, 4)), mean)
    expression = np.moveaxis(_snapshots(traj, idx, lengths, level), 3, -1)  # [S, R, C, cells, g]
    return expression.reshape(S, R, C * cells, g), mean


def _snapshots(traj: np.ndarray, idx: np.ndarray, lengths: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Every gene's cells: its trajectory at T_level + idx, [S, R, C, g, cells] (traj [T, S, R, C, g])."""
    _, S, R, C, g = traj.shape
    pos = lengths[level][:, None, None, :, None] + idx[:, :, None, None, :]  # [S, R, 1, g, cells]
    s, r, c, j, _ = np.ix_(np.arange(S), np.arange(R), np.arange(C), np.arange(g), np.arange(idx.shape[-1]))
    return traj[pos, s, r, c, j]


def params_from_table(adjacency: np.ndarray, k: np.ndarray, table: np.ndarray, names) -> SergioParams:
    """The inverse of ``param_table``: SergioParams from a ``.scms.parquet``'s columns and parameter names."""
    names = list(names)
    basal = [i for i, name in enumerate(names) if name.startswith("basal_")]
    if not basal or names[len(basal):] != ["decay", "hill", "noise"]:
        raise ValueError(f"noise_param_names: expected basal_0.. then decay, hill, noise, got {names}")
    per_sim = table[:, 0, len(basal):]
    return SergioParams(adjacency.astype(np.uint8), k, table[..., basal], per_sim[:, 1], per_sim[:, 0], per_sim[:, 2])


def param_table(params: SergioParams) -> tuple[np.ndarray, tuple[str, ...]]:
    """Per-gene parameters [S, g, C + 3] (basal rate per cell type, decay, hill, noise) and their names."""
    S, g, C = params.basal.shape
    per_sim = np.stack([params.decay, params.hill, params.noise], axis=-1)[:, None, :].repeat(g, axis=1)
    names = tuple(f"basal_{c}" for c in range(C)) + ("decay", "hill", "noise")
    return np.concatenate([params.basal, per_sim], axis=-1), names


def knockout_regimes(n_genes: int) -> tuple[Regimes, np.ndarray]:
    """Regime 0 observational, regime 1 + i the knockout do(V_i = 0); and the knockout mask [R, g]."""
    regimes = Regimes.single_target(n_genes, [0.0])
    return regimes, regimes.target[:, None] == np.arange(n_genes)[None, :]


_WORKER_NETWORKS: dict = {}


def _init_worker(networks: dict) -> None:
    _WORKER_NETWORKS.update(networks)


def _simulate_block(args) -> tuple[SergioParams, np.ndarray]:
    """One block: graphs, parameters, then every condition's dynamics, all from one child seed."""
    spec, child, n, networks = args
    networks = networks if networks is not None else _WORKER_NETWORKS
    rng = np.random.Generator(np.random.PCG64(child))
    names = sorted(networks)
    which = rng.integers(len(names), size=n)
    g = spec["n_vars"]
    adjacency = np.stack([networks[names[w]].subnetwork(rng, g) for w in which])
    params = sample_params(rng, adjacency, spec)
    return params, run_regimes(rng, params, spec)


def run_regimes(rng: np.random.Generator, params: SergioParams, spec: dict) -> np.ndarray:
    """Samples [S, R, N, g] of every regime (observational, each knockout) of simulations ``params``."""
    _, knockout = knockout_regimes(params.adjacency.shape[1])
    n_cells = spec["samples_per_regime"]
    cells = -(-n_cells // spec["n_cell_types"])  # per cell type, as the reference; cut to n_cells below
    if spec["half_response"] == "per_condition":
        samples, _ = simulate_conditions(rng, params, knockout, cells, spec)
    else:  # "observational": the knockout runs use the observational run's regulator means
        obs, obs_mean = simulate_conditions(rng, params, knockout[:1], cells, spec)
        ko, _ = simulate_conditions(rng, params, knockout[1:], cells, spec,
                                    half_response=np.repeat(obs_mean, len(knockout) - 1, axis=1))
        samples = np.concatenate([obs, ko], axis=1)
    return rng.permuted(samples, axis=2)[:, :, :n_cells]


def simulate(spec: dict, n_scm: int, seed: np.random.SeedSequence, network_paths: dict[str, str | Path],
             progress=None, workers: int = 1) -> tuple[SergioParams, Regimes, np.ndarray]:
    """Simulate ``n_scm`` SERGIO simulations of family ``spec``: (params, regimes, samples [S, R, N, g]).

    network_paths: network name -> TSV (``spec["networks"]`` picks among them). ``workers`` processes run
    the blocks; the result does not depend on it. ``progress`` receives the simulations done per block.
    """
    missing = [name for name in spec["networks"] if name not in network_paths]
    if missing:
        raise ValueError(f"network_paths: no file for network(s) {missing}")
    networks = {name: grn.ModuleExtractor(grn.load_network(network_paths[name]), spec["topk"])
                for name in spec["networks"]}
    regimes, _ = knockout_regimes(spec["n_vars"])
    n_blocks = -(-n_scm // BLOCK)
    children = seed.spawn(n_blocks)
    if workers > 1 and n_blocks > 1:
        import multiprocessing
        import sys

        # fork is fast, but unsafe once JAX's threads exist in this process: then start fresh interpreters
        method = "spawn" if "jax" in sys.modules else "fork"
        jobs = [(spec, child, min(BLOCK, n_scm - start), None)
                for child, start in zip(children, range(0, n_scm, BLOCK))]
        with multiprocessing.get_context(method).Pool(workers, _init_worker, (networks,)) as pool:
            results = []
            for result in pool.imap(_simulate_block, jobs):
                results.append(result)
                if progress is not None:
                    progress(result[0].n_scm)
    else:
        jobs = [(spec, child, min(BLOCK, n_scm - start), networks)
                for child, start in zip(children, range(0, n_scm, BLOCK))]
        results = []
        for job in jobs:
            results.append(_simulate_block(job))
            if progress is not None:
                progress(results[-1][0].n_scm)
    params = SergioParams(*(np.concatenate([getattr(r[0], f) for r in results]) for f in
                            ("adjacency", "k", "basal", "hill", "decay", "noise")))
    return params, regimes, np.concatenate([r[1] for r in results])


# The family-kind interface (activa.data.families): kind "sergio".

def make_split(config: dict, family: str, spec: dict, n_scm: int, seed: np.random.SeedSequence,
               resources: str | Path | None, progress=None, workers: int = 1) -> tuple[SergioParams, Regimes, np.ndarray]:
    """``simulate`` on the network files in folder ``resources`` (stage ``networks``)."""
    if resources is None:
        from activa.data.format import DataError

        raise DataError(f"simulate: family '{family}' is a SERGIO family and needs --resources DIR (the network "
                         "files, stage networks)")
    return simulate(spec, n_scm, seed, grn.network_paths(resources), progress=progress, workers=workers)


def scm_columns(params: SergioParams) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """The ``.scms.parquet`` columns: adjacency, k as the weights, the other parameters and their names."""
    table, names = param_table(params)
    return params.adjacency, params.k, table, {"noise_family": "sergio", "noise_param_names": names}


def draw_truth(truth, scms, spec: dict, rng: np.random.Generator, resources=None) -> np.ndarray:
    """A new independent run of every regime of ``truth`` (Samples) from its simulations (SCMTable): [S, R, N, g]."""
    from activa.data.format import DataError

    expected = knockout_regimes(truth.samples.shape[-1])[0].target
    if not np.array_equal(truth.target, expected):
        raise DataError(f"truth samples: regimes {truth.target.tolist()} are not SERGIO's {expected.tolist()}")
    params = params_from_table(scms.adjacency, scms.weights, scms.noise_params, scms.meta["noise_param_names"])
    blocks = []
    for start in range(0, len(truth.scm), BLOCK):
        block = slice(start, start + BLOCK)
        blocks.append(run_regimes(rng, SergioParams(
            *(getattr(params, f)[block] for f in ("adjacency", "k", "basal", "hill", "decay", "noise"))), spec))
    return np.concatenate(blocks).astype(np.float64)


def true_means(scms, truth, pooled_means: np.ndarray, runs: int, resources=None) -> tuple:
    """(TrueMeans, source): the pooled mean of the independent runs (no closed form)."""
    from activa.eval.effects import pooled

    return pooled(scms, truth, pooled_means), f"pooled mean of {runs} independent runs"
