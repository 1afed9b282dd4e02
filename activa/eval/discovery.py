"""Discover, then estimate: what a researcher would run instead of ACTIVA on the same N observational samples.

Each method finds a graph from the observational samples of one SCM alone, fits every variable on its parents in
that graph by least squares (an intercept and linear weights, ``references.fit_mechanisms``), and samples each query
do(V_t = v) from the mutilated fitted SEM: noise drawn from the fitted residuals with replacement (so non-Gaussian
noise stays non-Gaussian), V_t = v plus the family's intervention jitter (as the ground truth; the other reference
methods set V_t = v exactly). Returns samples [S, R_int, N, d] like every method.

- ``pc_mec``: PC (Spirtes, Glymour & Scheines 2000; causal-learn, Fisher z at ``alpha``, stable) -> a CPDAG ->
  every DAG of its Markov equivalence class (``activa.eval.mec``; beyond ``max_dags`` a uniform sample of that many)
  -> the uniform mixture of the fitted SEMs: every predicted sample draws its DAG (IDA's view, Maathuis, Kalisch &
  Buehlmann 2009, as a distribution rather than a set of effects).
- ``ges_mec``: the same from GES (Chickering 2002; causal-learn, BIC score).
- ``lingam``: DirectLiNGAM (Shimizu et al. 2011; the ``lingam`` package) -> one DAG (its pruned adjacency).
- ``eqvar``: the equal-variance top-down ordering (Chen, Drton & Wang 2019: the variable of least variance given
  those already ordered comes next), then each variable's parents among its predecessors kept where the two-sided
  t-test of its least-squares coefficient has p < ``alpha`` -> one DAG.

On SERGIO (non-linear, non-negative expression) every linear SEM is misspecified, as the oracle graph's is.
"""

from __future__ import annotations

import sys
import warnings
from collections import Counter
from typing import Callable

import numpy as np
from scipy import stats
from tqdm import tqdm

from activa.data.scm import Regimes, mutilated_inverse
from activa.eval import mec
from activa.eval.references import Inputs, fit_mechanisms


def informative(x: np.ndarray) -> np.ndarray:
    """[d] bool: the columns of x [N, d] that vary (a constant column, e.g. a silent gene, gets no edges)."""
    spread = x.std(axis=0)
    return spread > 1e-9 * max(1.0, float(np.abs(x).max()))


def pdag_from_causallearn(graph: np.ndarray) -> np.ndarray:
    """causal-learn's ``GeneralGraph.graph`` [d, d] -> a PDAG bool [d, d] (``activa.eval.mec``'s convention).

    causal-learn: graph[j, i] = 1 and graph[i, j] = -1 is i -> j; both -1 is i - j; both 1 is i <-> j (a
    conflict of PC's orientation rules), read here as undirected.
    """
    edge = graph != 0
    into_i = (graph == 1) & (graph.T == -1)  # [i, j]: arrowhead at i, tail at j: j -> i
    return edge & ~into_i


def _embed(pdag_small: np.ndarray, keep: np.ndarray) -> np.ndarray:
    d = len(keep)
    pdag = np.zeros((d, d), bool)
    idx = np.flatnonzero(keep)
    pdag[np.ix_(idx, idx)] = pdag_small
    return pdag


def pc_pdag(x: np.ndarray, alpha: float) -> np.ndarray:
    """PC's CPDAG of x [N, d] (causal-learn, Fisher z test at ``alpha``, stable skeleton): bool [d, d]."""
    from causallearn.search.ConstraintBased.PC import pc

    keep = informative(x)
    if keep.sum() < 2:
        return np.zeros((x.shape[1],) * 2, bool)
    graph = pc(x[:, keep], alpha, "fisherz", stable=True, show_progress=False, verbose=False).G.graph
    return _embed(pdag_from_causallearn(graph), keep)


def ges_pdag(x: np.ndarray) -> np.ndarray:
    """GES's CPDAG of x [N, d] (causal-learn, BIC score): bool [d, d]."""
    from causallearn.search.ScoreBased.GES import ges

    keep = informative(x)
    if keep.sum() < 2:
        return np.zeros((x.shape[1],) * 2, bool)
    graph = ges(x[:, keep], score_func="local_score_BIC")["G"].graph
    return _embed(pdag_from_causallearn(graph), keep)


def lingam_version() -> str:
    """The installed lingam's version; ``ConfigError`` saying how to install it if it is missing."""
    try:
        import lingam
    except ImportError:
        from activa.config import ConfigError

        raise ConfigError("lingam: the package 'lingam' is not installed (pip install -e '.[references]', or install "
                          "from requirements/lock-cpu.txt; the lock has it for Python < 3.13, where its pygam "
                          "dependency installs)") from None
    return lingam.__version__


def lingam_dag(x: np.ndarray) -> np.ndarray:
    """DirectLiNGAM's DAG of x [N, d] (the package's pruned adjacency; B[i, j] != 0 is j -> i): bool [d, d]."""
    import lingam

    keep = informative(x)
    if keep.sum() < 2:
        return np.zeros((x.shape[1],) * 2, bool)
    model = lingam.DirectLiNGAM()
    model.fit(x[:, keep])
    return _embed(model.adjacency_matrix_.T != 0, keep)


def eqvar_order(obs: np.ndarray) -> np.ndarray:
    """Top-down equal-variance ordering of every SCM: obs [S, N, d] -> order [S, d] (first = a source).

    The sample covariance is swept one pivot at a time (the residual covariance given the variables chosen so
    far); the next variable has the least residual variance.
    """
    S, N, d = obs.shape
    x = obs - obs.mean(axis=1, keepdims=True)
    cov = np.einsum("sni,snj->sij", x, x) / (N - 1)
    floor = 1e-12 * np.maximum(np.trace(cov, axis1=1, axis2=2), 1e-300)  # [S]
    remaining = np.ones((S, d), bool)
    order = np.zeros((S, d), np.int64)
    rows = np.arange(S)
    for k in range(d):
        diag = np.where(remaining, np.diagonal(cov, axis1=1, axis2=2), np.inf)
        j = np.argmin(diag, axis=1)
        order[:, k] = j
        col = cov[rows, :, j]  # [S, d]
        pivot = col[rows, j]
        scale = np.where(pivot > floor, 1.0 / np.maximum(pivot, floor), 0.0)  # a constant variable: nothing to sweep
        cov = cov - col[:, :, None] * col[:, None, :] * scale[:, None, None]
        remaining[rows, j] = False
    return order


def ols_pvalues(obs: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Two-sided t-test p-values of every candidate parent's least-squares coefficient: [S, d, d] ([s, i, j]: of V_i
    in V_j's regression on its candidates [S, d, d] with an intercept; 1 off the candidates)."""
    S, N, d = obs.shape
    design = np.concatenate([np.ones((S, N, 1)), obs], axis=2)
    gram = np.einsum("sni,snj->sij", design, design)
    keep = np.concatenate([np.ones((S, 1, d), bool), candidates], axis=1)
    mask = np.moveaxis(keep, 2, 1).astype(np.float64)  # [S, d (response), 1 + d]
    eye = np.eye(1 + d)
    a = mask[..., :, None] * gram[:, None] * mask[..., None, :] + (1.0 - mask)[..., :, None] * eye
    a = a + 1e-10 * (np.trace(gram, axis1=1, axis2=2) / (1 + d))[:, None, None, None] * eye
    inverse = np.linalg.inv(a)  # [S, d, 1 + d, 1 + d]
    moment = np.einsum("sni,snj->sji", design, obs)  # [S, d (response), 1 + d]
    coef = np.einsum("sjab,sjb->sja", inverse, mask * moment) * mask
    fitted = np.einsum("sna,sja->snj", design, coef)
    dof = np.maximum(N - mask.sum(axis=2), 1)  # [S, d]
    sigma2 = ((obs - fitted) ** 2).sum(axis=1) / dof
    se = np.sqrt(np.maximum(np.diagonal(inverse, axis1=2, axis2=3) * sigma2[..., None], 1e-300))
    t = coef / se  # [S, d, 1 + d]
    p = 2 * stats.t.sf(np.abs(t), dof[..., None])
    return np.where(candidates, np.moveaxis(p[..., 1:], 1, 2), 1.0)


def eqvar_dags(obs: np.ndarray, alpha: float) -> np.ndarray:
    """The equal-variance method's DAG of every SCM: obs [S, N, d] -> bool [S, d, d]."""
    S, N, d = obs.shape
    order = eqvar_order(obs)
    position = np.argsort(order, axis=1)  # [S, d]: each variable's place in the order
    vary = np.stack([informative(x) for x in obs])  # [S, d]; a constant variable gets no edges
    candidates = (position[:, :, None] < position[:, None, :]) & vary[:, :, None] & vary[:, None, :]  # i before j
    return candidates & (ols_pvalues(obs, candidates) < alpha)


def sample_mixture(obs: np.ndarray, dag_sets: list[np.ndarray], target: np.ndarray, value: np.ndarray,
                   jitter_std: float, rng: np.random.Generator, chunk: int = 64) -> np.ndarray:
    """Samples of every query from each SCM's uniform mixture of fitted SEMs: [S, R, N, d].

    obs [S, N, d]; dag_sets[s]: bool [k_s, d, d], the DAGs of SCM s (k_s = 1: one SEM); target [R], value [R].
    Each DAG is fitted by least squares on its parents; every predicted sample draws its DAG uniformly, its noise
    from that fit's residuals with replacement (each variable independently), and V_t = v + jitter_std * N(0, 1).
    """
    S, N, d = obs.shape
    R = len(target)
    regimes = Regimes(np.asarray(target), np.zeros(R, np.int64), np.asarray(value, np.float64), ())
    out = np.empty((S, R, N, d))
    for start in range(0, S, chunk):
        rows = np.arange(start, min(S, start + chunk))
        sizes = np.array([len(dag_sets[s]) for s in rows])
        first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        owner = np.repeat(np.arange(len(rows)), sizes)
        dags = np.concatenate([dag_sets[s] for s in rows]).astype(bool)
        weights, intercept, residuals = fit_mechanisms(obs[rows][owner], dags)
        inverse = mutilated_inverse(weights, regimes)  # [P, R, d, d]
        choice = first[:, None, None] + np.floor(rng.random((len(rows), R, N)) * sizes[:, None, None]).astype(int)
        pick = rng.integers(N, size=(len(rows), R, N, d))
        eps = residuals[choice[..., None], pick, np.arange(d)] + intercept[choice]  # [C, R, N, d]
        jitter = rng.standard_normal((len(rows), R, N))
        for r in range(R):
            eps[:, r, :, target[r]] = value[r] + jitter_std * jitter[:, r]
        out[rows] = np.einsum("crni,crnij->crnj", eps, inverse[choice, np.arange(R)[None, :, None]])
    return out


def _per_scm(obs: np.ndarray, find: Callable[[np.ndarray], np.ndarray], name: str, progress: bool
             ) -> tuple[list[np.ndarray], int]:
    """find(x [N, d]) for every SCM, with a progress bar; a failure of the discovery library on one SCM (e.g. a
    singular correlation matrix) is reported and that SCM gets the empty graph."""
    out = []
    failed = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x in tqdm(obs, desc=name, unit="scm", file=sys.stderr, disable=not progress, mininterval=1.0):
            try:
                out.append(find(x))
            except (ValueError, np.linalg.LinAlgError) as exc:
                failed += 1
                print(f"{name}: SCM {len(out)}: {type(exc).__name__}: {exc}; the empty graph instead", file=sys.stderr)
                out.append(np.zeros((x.shape[1],) * 2, bool))
    return out, failed


def _class_mixture(inputs: Inputs, name: str, find: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, dict]:
    obs = inputs.observational
    rng = inputs.rng()
    pdags, failed = _per_scm(obs, find, name, inputs.progress)
    max_dags = int(inputs.options["max_dags"])
    dag_sets, kinds, sizes = [], Counter(), []
    for pdag in pdags:
        dags, size, kind = mec.dags_of_class(pdag, max_dags, rng)
        dag_sets.append(dags)
        kinds[kind] += 1
        sizes.append(size)
    target, value = inputs.queries
    samples = sample_mixture(obs, dag_sets, target, value, inputs.family.get("jitter_std", 0.0), rng)
    known = [s for s in sizes if s > 0]
    notes = {"classes": dict(kinds), "failed": failed, "max_dags": max_dags,
             "class_size_median": float(np.median(known)) if known else None,
             "edges_mean": float(np.mean([(p | p.T).sum() / 2 for p in pdags])),
             "summary": (f"class enumerated on {kinds['enumerated']} SCMs, {max_dags} DAGs sampled uniformly from "
                         f"a larger class on {kinds['sampled']}, one consistent extension of an invalid CPDAG on "
                         f"{kinds['extended'] + kinds['fallback']}" + (f", discovery failed on {failed}" if failed
                                                                        else ""))}
    return samples, notes


def _single_dag(inputs: Inputs, dags: list[np.ndarray], failed: int = 0) -> tuple[np.ndarray, dict]:
    obs = inputs.observational
    target, value = inputs.queries
    samples = sample_mixture(obs, [g[None] for g in dags], target, value, inputs.family.get("jitter_std", 0.0),
                             inputs.rng())
    notes = {"edges_mean": float(np.mean([g.sum() for g in dags])), "failed": failed}
    if failed:
        notes["summary"] = f"discovery failed on {failed} SCMs (the empty graph)"
    return samples, notes


def pc_mec(inputs: Inputs) -> tuple[np.ndarray, dict]:
    """Registry entry ``pc_mec`` (options: alpha, max_dags, scms)."""
    alpha = float(inputs.options["alpha"])
    return _class_mixture(inputs, "pc_mec", lambda x: pc_pdag(x, alpha))


def ges_mec(inputs: Inputs) -> tuple[np.ndarray, dict]:
    """Registry entry ``ges_mec`` (options: max_dags, scms)."""
    return _class_mixture(inputs, "ges_mec", ges_pdag)


def lingam(inputs: Inputs) -> tuple[np.ndarray, dict]:
    """Registry entry ``lingam`` (options: scms)."""
    version = lingam_version()
    dags, failed = _per_scm(inputs.observational, lingam_dag, "lingam", inputs.progress)
    samples, notes = _single_dag(inputs, dags, failed)
    return samples, {**notes, "lingam": version}


def eqvar(inputs: Inputs) -> tuple[np.ndarray, dict]:
    """Registry entry ``eqvar`` (options: alpha, scms)."""
    return _single_dag(inputs, list(eqvar_dags(inputs.observational, float(inputs.options["alpha"]))))
