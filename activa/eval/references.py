"""Reference methods that bracket ACTIVA (results/tables/table1_references): what no method should do worse
than, what a method told the true graph can do, and the metrics' own noise floor. The registry of every
reference method, the discover-then-estimate ones (``activa.eval.discovery``) included, is ``activa.eval.methods``;
each registered function here takes ``Inputs`` and returns samples [S, R_int, N, d].

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
- ``dowhy_gcm``: DoWhy's graphical causal model (``dowhy.gcm``) with the true graph, linear additive-noise
  mechanisms and empirical root distributions, on a fixed random subset of the test SCMs: a graph-aware
  reference from the library.
- ``dowhy_gcm_auto``: the same with the mechanisms ``gcm.auto.assign_causal_mechanisms`` chooses (0.02-1 s per
  SCM). At quality good it picks non-linear regressors (e.g. gradient boosting) whenever they cross-validate
  better; those are constant outside the observed range of the parent, and a query's V_t = 5 lies far outside
  it, so the descendants' means stay near their observational values (docs/evaluation.md).
- ``truth_resample``: a second, independent draw of the ground truth (same SCMs, a new random stream, same N):
  what a perfect method scores, the metrics' noise floor.

V_t is set to v exactly in every method's samples (as the baseline does; the ground truth adds the family's
jitter). Random streams: ``seed_sequence(seed, <method>, family, split)``.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
from tqdm import tqdm

from activa.data.families import kind_of
from activa.data.format import DataError, Samples, SCMTable
from activa.data.scm import Regimes, mutilated_inverse


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What a reference method gets for one family's test split (``python -m activa reference``).

    truth: the test split on the SCMs to predict (samples [S, R, N, d], one observational regime); scms: the
    split's SCM table (rows ``truth.scm``), None for a method that sees the observational samples only; family:
    the family's config; options: the config's ``references.<method>`` ({} if none); seed: the method's stream
    ``seed_sequence(seed, <method>, family, split)``.
    """

    truth: Samples
    scms: SCMTable | None
    family: dict
    options: dict
    seed: np.random.SeedSequence
    progress: bool = True
    workers: int = 1

    @property
    def observational(self) -> np.ndarray:
        """[S, N, d] float64: each SCM's observational samples."""
        return _observational(self.truth)

    @property
    def queries(self) -> tuple[np.ndarray, np.ndarray]:
        """(target [R_int] int, value [R_int] float64) of the interventional regimes, in the truth's order."""
        r = self.truth.interventional
        return self.truth.target[r].astype(np.int64), self.truth.value[r].astype(np.float64)

    def rng(self) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64(self.seed))


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


def draw_truth(truth: Samples, scms: SCMTable, spec: dict, rng: np.random.Generator, resources=None) -> np.ndarray:
    """A new independent run of every regime of ``truth`` from its SCMs: samples [S, R, N, d] float64, in
    ``truth``'s regime order (``spec``: the family's config; its kind's ``draw_truth``, ``activa.data.families``:
    linear SCMs, SERGIO simulations, or the Sachs cells' other half, read from the folder ``resources``)."""
    return kind_of(spec).load().draw_truth(truth, scms, spec, rng, resources)


def truth_resample(truth: Samples, scms: SCMTable, spec: dict, seed: np.random.SeedSequence) -> Samples:
    """A second draw of ``truth``'s interventional regimes from the same SCMs (``spec``: the family's config)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    return _predictions(truth, draw_truth(truth, scms, spec, rng)[:, truth.interventional])


@dataclasses.dataclass(frozen=True)
class PooledTruth:
    """``runs`` independent runs of every regime of a test split, summarised.

    pred: the ``truth_pooled`` prediction (samples [S, R_int, N, d]), N cells per interventional regime drawn
    without replacement from the runs x N pooled cells; run_means [runs, S, R, d] and run_vars [runs, S, R, d]: each
    run's sample mean and variance (ddof 1) per regime (all regimes, ``truth``'s order).
    """

    pred: Samples
    run_means: np.ndarray
    run_vars: np.ndarray

    @property
    def means(self) -> np.ndarray:
        """[S, R, d] the mean of the pooled runs x N cells of each regime."""
        return self.run_means.mean(axis=0)


def truth_pooled(truth: Samples, scms: SCMTable, spec: dict, runs: int, seed: np.random.SeedSequence,
                 progress: bool = True, resources=None) -> PooledTruth:
    """``runs`` independent runs of ``truth``'s SCMs and conditions (``draw_truth``), pooled.

    On a linear family every run's samples are i.i.d. already, so the prediction is distributed as
    ``truth_resample``'s; on SERGIO a run's cells are snapshots of one trajectory, and cells drawn across
    ``runs`` runs approximate the condition's distribution: the floor a prediction of it can reach.
    """
    if runs < 2:
        raise ValueError(f"truth_pooled: runs must be at least 2, got {runs}")
    rng = np.random.Generator(np.random.PCG64(seed))
    S, _, N, d = truth.samples.shape
    inter = truth.interventional
    pick = np.argsort(rng.random((S, len(inter), runs * N)), axis=2)[..., :N]  # N of the runs x N pooled cells
    samples = np.zeros((S, len(inter), N, d))
    means, variances = [], []
    for k in tqdm(range(runs), desc="truth_pooled", unit="run", file=sys.stderr, disable=not progress,
                  mininterval=1.0):
        run = draw_truth(truth, scms, spec, rng, resources)
        means.append(run.mean(axis=2))
        variances.append(run.var(axis=2, ddof=1))
        mine = pick // N == k  # [S, R_int, N]: the cells this run contributes
        cells = np.take_along_axis(run[:, inter], (pick % N)[..., None], axis=2)
        samples[mine] = cells[mine]
    return PooledTruth(_predictions(truth, samples), np.stack(means), np.stack(variances))


def effective_samples(pooled: PooledTruth, truth: Samples) -> dict[str, float]:
    """How correlated a regime's N samples are, from the spread of their mean over independent runs.

    Per (SCM, regime, variable) with positive variance (a knocked-out gene is exactly 0; an intervened linear
    variable is the jitter): sigma^2 the variance of the runs x N pooled samples (the condition's variance),
    var_m the variance of the run means (ddof 1) over the runs. Independent samples give var_m = sigma^2 / N;
    N_eff = sigma^2 / var_m is the number of independent samples a run's mean is worth (1 to N for positively
    correlated samples). Returns n_samples N, runs, the inflation sum(var_m) / sum(sigma^2 / N) (1 for
    independent samples, about N / N_eff), and the quartiles of N_eff over the interventional regimes'
    non-targets and over the observational regime.
    """
    N = truth.samples.shape[2]
    runs = pooled.run_means.shape[0]
    spread = ((pooled.run_means - pooled.means[None]) ** 2).sum(axis=0)  # [S, R, d]
    sigma2 = ((N - 1) * pooled.run_vars.sum(axis=0) + N * spread) / (runs * N - 1)
    var_m = spread / (runs - 1)
    d = sigma2.shape[-1]
    non_target = np.arange(d)[None, :] != truth.target[:, None]  # [R, d]; the observational regime: every variable
    keep = (sigma2 > 1e-12 * np.maximum(1.0, pooled.means**2)) & non_target[None]
    out = {"n_samples": N, "runs": runs}
    for name, regimes in (("interventional", truth.target >= 0), ("observational", truth.target < 0)):
        mask = keep & regimes[None, :, None]
        n_eff = sigma2[mask] / np.maximum(var_m[mask], 1e-300)
        out[f"{name}_triples"] = int(mask.sum())
        out[f"{name}_inflation"] = float(var_m[mask].sum() / (sigma2[mask] / N).sum()) if mask.any() else np.nan
        for q, label in ((0.25, "q1"), (0.5, "median"), (0.75, "q3")):
            out[f"{name}_n_eff_{label}"] = float(np.quantile(n_eff, q)) if mask.any() else np.nan
    return out


def scm_subset(n_scm: int, size: int, seed: np.random.SeedSequence) -> np.ndarray:
    """Sorted indices of ``min(size, n_scm)`` SCMs drawn without replacement: the same for the same seed."""
    rng = np.random.Generator(np.random.PCG64(seed))
    return np.sort(rng.choice(n_scm, size=min(size, n_scm), replace=False))


def _dowhy_one(job) -> np.ndarray:
    """One SCM with dowhy.gcm: samples [R_int, N, d]. job: (observational [N, d], adjacency [d, d], targets,
    values, mechanisms, seed)."""
    from threadpoolctl import threadpool_limits

    obs, adjacency, target, value, mechanisms, seed = job
    with threadpool_limits(1):  # one core per SCM: scikit-learn's threads would oversubscribe the workers
        return _dowhy_fit_sample(obs, adjacency, target, value, mechanisms, seed)


def _dowhy_fit_sample(obs, adjacency, target, value, mechanisms, seed) -> np.ndarray:
    """mechanisms: "linear" (every non-root an additive-noise model with a linear regressor, every root its
    empirical distribution) or an ``AssignmentQuality`` name for ``gcm.auto.assign_causal_mechanisms``."""
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
        if mechanisms == "linear":
            for j, name in enumerate(names):
                model.set_causal_mechanism(name, gcm.AdditiveNoiseModel(gcm.ml.create_linear_regressor())
                                           if adjacency[:, j].any() else gcm.EmpiricalDistribution())
        else:
            gcm.auto.assign_causal_mechanisms(model, data,
                                              quality=getattr(gcm.auto.AssignmentQuality, mechanisms.upper()))
        gcm.fit(model, data)
        out = []
        for t, v in zip(target, value):
            drawn = gcm.interventional_samples(model, {names[t]: lambda x, v=float(v): np.full_like(x, v)},
                                               num_samples_to_draw=len(obs))
            out.append(drawn[names].to_numpy(np.float64))
    return np.stack(out)


def dowhy_gcm(truth: Samples, scms: SCMTable, mechanisms: str, seed: np.random.SeedSequence, workers: int = 1,
              progress: bool = True) -> np.ndarray:
    """dowhy.gcm's samples of every query of every SCM of ``truth``: [S, R_int, N, d], V_t = v.

    mechanisms: "linear" or an ``AssignmentQuality`` (good, better, best). Each SCM gets its own seed from ``seed``,
    so the result does not depend on ``workers`` (processes).
    """
    dowhy_version()
    obs = _observational(truth)
    if mechanisms != "linear" and obs.shape[1] < 5:
        raise DataError(f"dowhy_gcm_auto: DoWhy's automatic mechanism assignment cross-validates in 5 folds and needs "
                        f"at least 5 observational samples per SCM, the truth has {obs.shape[1]}")
    r = truth.interventional
    seeds = [int(s.generate_state(1)[0]) for s in seed.spawn(len(truth.scm))]
    jobs = [(obs[s], scms.adjacency[truth.scm[s]], truth.target[r], truth.value[r], mechanisms, seeds[s])
            for s in range(len(truth.scm))]
    with tqdm(total=len(jobs), desc="dowhy_gcm", unit="scm", file=sys.stderr, disable=not progress,
              mininterval=1.0) as bar:
        results = []
        if workers > 1 and len(jobs) > 1:
            import multiprocessing

            with multiprocessing.get_context("spawn").Pool(workers) as pool:
                for result in pool.imap(_dowhy_one, jobs):
                    results.append(result)
                    bar.update()
        else:
            for job in jobs:
                results.append(_dowhy_one(job))
                bar.update()
    samples = np.stack(results) if results else np.zeros((0, len(r)) + obs.shape[1:])
    return _set_target(samples, truth.target[r], truth.value[r])


def dowhy_gcm_linear(inputs: Inputs) -> tuple[np.ndarray, dict]:
    """Registry entry ``dowhy_gcm``: linear additive-noise mechanisms on the true graph."""
    return (dowhy_gcm(inputs.truth, inputs.scms, "linear", inputs.seed, inputs.workers, inputs.progress),
            {"dowhy": dowhy_version(), "mechanisms": "linear additive noise, empirical roots"})


def dowhy_gcm_auto(inputs: Inputs) -> tuple[np.ndarray, dict]:
    """Registry entry ``dowhy_gcm_auto``: mechanisms auto-assigned at ``references.dowhy_gcm_auto.quality``."""
    quality = inputs.options["quality"]
    return (dowhy_gcm(inputs.truth, inputs.scms, quality, inputs.seed, inputs.workers, inputs.progress),
            {"dowhy": dowhy_version(), "mechanisms": f"auto-assigned, quality {quality}"})


def predict_no_effect(inputs: Inputs) -> np.ndarray:
    """Registry entry ``no_effect``."""
    return no_effect(inputs.truth).samples


def predict_oracle_graph(inputs: Inputs) -> tuple[np.ndarray, dict]:
    """Registry entry ``oracle_graph``: Gaussian residuals on Gaussian families, resampled ones otherwise."""
    kind = residual_kind(inputs.scms)
    return oracle_graph(inputs.truth, inputs.scms, inputs.rng(), kind).samples, {"residuals": kind}


def predict_truth_resample(inputs: Inputs) -> np.ndarray:
    """Registry entry ``truth_resample``."""
    return truth_resample(inputs.truth, inputs.scms, inputs.family, inputs.seed).samples


def dowhy_version() -> str:
    """The installed DoWhy's version; ``ConfigError`` saying how to install it if it is missing."""
    try:
        import dowhy
    except ImportError:
        from activa.config import ConfigError

        raise ConfigError("dowhy_gcm: the package 'dowhy' is not installed (pip install -e '.[references]', or "
                          "install from requirements/lock-cpu.txt; DoWhy supports Python < 3.14)") from None
    return dowhy.__version__
