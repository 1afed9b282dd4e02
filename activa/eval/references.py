"""Reference methods that bracket ACTIVA (results/tables/table1_references): what no method should do worse
than, what a method told the true graph can do, and the metrics' own noise floor.

Every method predicts each interventional regime (query do(V_t = v)) of a test split from the same inputs as
the baseline (v2 section 6.1): the N observational samples of the SCM, plus, where named, the true graph.

- ``no_effect``: the observational samples with V_t set to v, an intervention that changes nothing
  downstream. A method must beat it to show it learned any effect.
- ``oracle_graph``: the true graph (``<split>.scms.parquet``); each variable's mechanism fitted on the
  observational samples by least squares on its true parents (with an intercept), then the mutilated SCM
  sampled with noise from the fitted residuals: a normal with the residuals' variance (Gaussian families) or
  resampled residuals (every other family). On the Gaussian families an edge's direction is not identifiable
  from observational data, so this is a bound no graph-free method can reach; on SERGIO the linear mechanism
  is misspecified.
- ``dowhy_gcm``: DoWhy's graphical causal model with the true graph and automatically assigned mechanisms
  (``dowhy.gcm``), on a fixed random subset of the test SCMs (0.02-1 s per SCM).
- ``truth_resample``: a second, independent draw of the ground truth (same SCMs, a new random stream, same N):
  what a perfect method scores, the metrics' noise floor.

V_t is set to v exactly in every method's samples (as the baseline does; the ground truth adds the family's
jitter). Random streams: ``seed_sequence(seed, <method>, family, split)``.
"""

from __future__ import annotations

import sys

import numpy as np
from tqdm import tqdm

from activa.data.format import DataError, Samples, SCMTable
from activa.data.scm import LinearSCMs, Regimes, mutilated_inverse, sample_regimes


def _observational(truth: Samples) -> np.ndarray:
    """[S, N, d] observational samples of ``truth`` (a test split with an observational regime)."""
    regime = np.flatnonzero(truth.target < 0)
    if not len(regime):
        raise DataError("truth samples: no observational regime (target -1)")
    return truth.samples[:, regime[0]].astype(np.float64)


def _predictions(truth: Samples, samples: np.ndarray, scm: np.ndarray | None = None) -> Samples:
    """Samples of ``truth``'s interventional regimes: samples [S', R_int, N, d] for SCMs ``scm`` (default all)."""
    r = truth.interventional
    return Samples(samples.astype(np.float32), truth.target[r], truth.value_index[r], truth.value[r],
                   truth.scm if scm is None else scm, truth.regime[r])


def _set_target(samples: np.ndarray, target: np.ndarray, value: np.ndarray) -> np.ndarray:
    """samples [S, R, N, d] with V_target[r] = value[r] in every regime r."""
    samples[:, np.arange(len(target)), :, target] = np.asarray(value, np.float64)[:, None, None]
    return samples


def no_effect(truth: Samples) -> Samples:
    """The observational samples of each SCM for each query, V_t set to v."""
    r = truth.interventional
    obs = _observational(truth)
    samples = np.repeat(obs[:, None], len(r), axis=1)
    return _predictions(truth, _set_target(samples, truth.target[r], truth.value[r]))


def fit_mechanisms(observational: np.ndarray, adjacency: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least squares of every variable on its true parents: (weights [S, d, d], intercept [S, d], residuals [S, N, d]).

    observational [S, N, d]; adjacency [S, d, d] (``[s, i, j]``: edge i -> j). ``weights[s, i, j]`` is the
    fitted coefficient of V_i in V_j's mechanism (0 off the graph), as ``LinearSCMs.weights``. One batched
    solve of the normal equations per variable; a non-parent's coefficient is pinned to 0 by an identity row.
    """
    S, N, d = observational.shape
    parents = adjacency.astype(bool)
    design = np.concatenate([np.ones((S, N, 1)), observational], axis=2)  # [S, N, 1 + d]
    gram = np.einsum("sni,snj->sij", design, design)  # [S, 1 + d, 1 + d]
    moment = np.einsum("sni,snj->sij", design, observational)  # [S, 1 + d, d]
    keep = np.concatenate([np.ones((S, 1, d), bool), parents], axis=1)  # [S, 1 + d (regressor), d (response)]
    mask = np.moveaxis(keep, 2, 1).astype(np.float64)  # [S, d, 1 + d]
    eye = np.eye(1 + d)
    a = mask[..., :, None] * gram[:, None] * mask[..., None, :] + (1.0 - mask)[..., :, None] * eye  # [S, d, 1+d, 1+d]
    a = a + 1e-10 * (np.trace(gram, axis1=1, axis2=2) / (1 + d))[:, None, None, None] * eye
    b = mask * np.moveaxis(moment, 2, 1)  # [S, d, 1 + d]
    coef = np.linalg.solve(a, b[..., None])[..., 0] * mask  # [S, d (response), 1 + d]
    intercept, weights = coef[..., 0], np.moveaxis(coef[..., 1:], 1, 2)
    residuals = observational - intercept[:, None, :] - observational @ weights
    return weights, intercept, residuals


def oracle_graph(truth: Samples, scms: SCMTable, rng: np.random.Generator, residuals: str) -> Samples:
    """Samples of each query from the true graph's mechanisms fitted on the observational samples.

    residuals: "gaussian" (noise ~ N(0, residual variance with ddof = 1 + number of parents)) or "empirical"
    (each sample's noise a residual of the same variable drawn with replacement).
    """
    obs = _observational(truth)
    S, N, d = obs.shape
    r = truth.interventional
    target, value = truth.target[r], truth.value[r].astype(np.float64)
    weights, intercept, resid = fit_mechanisms(obs, scms.adjacency[truth.scm])
    shape = (S, len(r), N, d)
    if residuals == "gaussian":
        dof = np.maximum(N - 1 - scms.adjacency[truth.scm].sum(axis=1), 1)  # [S, d]
        scale = np.sqrt((resid**2).sum(axis=1) / dof)
        eps = scale[:, None, None, :] * rng.standard_normal(shape)
    elif residuals == "empirical":
        pick = rng.integers(N, size=shape)
        eps = np.take_along_axis(resid[:, None], pick.reshape(S, len(r) * N, d)[:, None], axis=2).reshape(shape)
    else:
        raise ValueError(f"oracle_graph: residuals must be 'gaussian' or 'empirical', got {residuals!r}")
    eps = _set_target(eps + intercept[:, None, None, :], target, value)  # V_t = eps_t = v: t has no parents
    regimes = Regimes(target, truth.value_index[r], value, ())
    samples = eps @ mutilated_inverse(weights, regimes)
    return _predictions(truth, _set_target(samples, target, value))


def residual_kind(scms: SCMTable) -> str:
    """oracle_graph's noise model for a family: Gaussian residuals for Gaussian noise, empirical otherwise."""
    return "gaussian" if scms.meta.get("noise_family") == "gaussian" else "empirical"


def truth_resample(truth: Samples, scms: SCMTable, spec: dict, seed: np.random.SeedSequence) -> Samples:
    """A second draw of ``truth``'s interventional regimes from the same SCMs (``spec``: the family's config)."""
    family = scms.meta.get("noise_family")
    N = truth.samples.shape[2]
    rng = np.random.Generator(np.random.PCG64(seed))
    if family in ("gaussian", "beta"):
        linear = LinearSCMs(scms.adjacency.astype(bool), scms.weights, family, scms.noise_params)
        r = truth.interventional
        regimes = Regimes(truth.target[r], truth.value_index[r], truth.value[r].astype(np.float64), ())
        return _predictions(truth, sample_regimes(rng, linear, regimes, N, spec["jitter_std"]))
    elif family == "sergio":
        from activa.data import sergio

        params = sergio.params_from_table(scms.adjacency, scms.weights, scms.noise_params,
                                          scms.meta["noise_param_names"])
        blocks = []
        for start in range(0, len(truth.scm), sergio.BLOCK):
            block = slice(start, start + sergio.BLOCK)
            blocks.append(sergio.run_regimes(rng, sergio.SergioParams(
                *(getattr(params, f)[block] for f in ("adjacency", "k", "basal", "hill", "decay", "noise"))), spec))
        samples = np.concatenate(blocks)
        expected = sergio.knockout_regimes(samples.shape[-1])[0].target
        if not np.array_equal(truth.target, expected):
            raise DataError(f"truth samples: regimes {truth.target.tolist()} are not SERGIO's {expected.tolist()}")
    else:
        raise DataError(f"scms file: metadata 'noise_family' is {family!r}, expected gaussian, beta or sergio")
    return _predictions(truth, samples[:, truth.interventional])


def scm_subset(n_scm: int, size: int, seed: np.random.SeedSequence) -> np.ndarray:
    """Sorted indices of ``min(size, n_scm)`` SCMs drawn without replacement: the same for the same seed."""
    rng = np.random.Generator(np.random.PCG64(seed))
    return np.sort(rng.choice(n_scm, size=min(size, n_scm), replace=False))


def _dowhy_one(job) -> np.ndarray:
    """One SCM with dowhy.gcm: samples [R_int, N, d]. job: (observational [N, d], adjacency [d, d], targets,
    values, quality, seed)."""
    from threadpoolctl import threadpool_limits

    obs, adjacency, target, value, quality, seed = job
    with threadpool_limits(1):  # one core per SCM: scikit-learn's threads would oversubscribe the workers
        return _dowhy_fit_sample(obs, adjacency, target, value, quality, seed)


def _dowhy_fit_sample(obs, adjacency, target, value, quality, seed) -> np.ndarray:
    import warnings

    import networkx as nx
    import pandas as pd
    from dowhy import gcm

    gcm.config.disable_progress_bars()
    gcm.config.set_default_n_jobs(1)  # no joblib process pool per SCM: the workers are the parallelism
    gcm.util.general.set_random_seed(seed)
    names = [f"V{j}" for j in range(obs.shape[1])]
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from((names[i], names[j]) for i, j in zip(*np.nonzero(adjacency)))
    model = gcm.StructuralCausalModel(graph)
    data = pd.DataFrame(obs, columns=names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gcm.auto.assign_causal_mechanisms(model, data, quality=getattr(gcm.auto.AssignmentQuality, quality.upper()))
        gcm.fit(model, data)
        out = []
        for t, v in zip(target, value):
            drawn = gcm.interventional_samples(model, {names[t]: lambda x, v=float(v): np.full_like(x, v)},
                                               num_samples_to_draw=len(obs))
            out.append(drawn[names].to_numpy(np.float64))
    return np.stack(out)


def dowhy_gcm(truth: Samples, scms: SCMTable, subset: np.ndarray, quality: str, seed: np.random.SeedSequence,
              workers: int = 1, progress: bool = True) -> Samples:
    """dowhy.gcm's samples of every query of the SCMs ``subset`` (indices into ``truth``'s SCMs).

    quality: dowhy's ``AssignmentQuality`` (good, better, best) for ``gcm.auto.assign_causal_mechanisms``.
    Each SCM gets its own seed from ``seed``, so the result does not depend on ``workers`` (processes).
    """
    obs = _observational(truth)
    if obs.shape[1] < 5:
        raise DataError(f"dowhy_gcm: DoWhy's automatic mechanism assignment cross-validates in 5 folds and needs at "
                        f"least 5 observational samples per SCM, the truth has {obs.shape[1]}")
    r = truth.interventional
    seeds = [int(s.generate_state(1)[0]) for s in seed.spawn(len(truth.scm))]
    jobs = [(obs[s], scms.adjacency[truth.scm[s]], truth.target[r], truth.value[r], quality, seeds[s]) for s in subset]
    with tqdm(total=len(jobs), desc="dowhy_gcm", unit="scm", file=sys.stderr, disable=not progress,
              mininterval=1.0) as bar:
        if workers > 1 and len(jobs) > 1:
            import multiprocessing

            with multiprocessing.get_context("spawn").Pool(workers) as pool:
                results = []
                for result in pool.imap(_dowhy_one, jobs):
                    results.append(result)
                    bar.update()
        else:
            results = []
            for job in jobs:
                results.append(_dowhy_one(job))
                bar.update()
    samples = np.stack(results) if results else np.zeros((0, len(r)) + obs.shape[1:])
    return _predictions(truth, _set_target(samples, truth.target[r], truth.value[r]), truth.scm[subset])


def dowhy_version() -> str:
    """The installed DoWhy's version; ``ConfigError`` saying how to install it if it is missing."""
    try:
        import dowhy
    except ImportError:
        from activa.config import ConfigError

        raise ConfigError("dowhy-gcm: the package 'dowhy' is not installed (pip install -e '.[references]', or "
                          "install from requirements/lock-cpu.txt; DoWhy supports Python < 3.14)") from None
    return dowhy.__version__
