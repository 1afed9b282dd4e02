"""Where a method puts the effect of an intervention: on the target's descendants, or wrongly on the rest.

Under do(V_t = v) in a linear SCM only descendants of t change; every non-descendant keeps its
observational distribution. A method that predicts by conditioning (the baseline) also moves the
non-descendants that are correlated with t (ancestors, or variables sharing an ancestor), which is the
error ACTIVA is meant to avoid. For every (test SCM, interventional regime, non-target variable j) we
compare the sample mean of V_j in a method's predictions with the closed-form interventional mean, and
average the absolute error separately over descendants and non-descendants of the target.

The ground-truth test samples are scored the same way ("truth samples"): their error is the sampling
noise of a mean of N samples, the floor no method can beat.

``no_edge``: the papers' qualitative check, for two-variable SCMs without an edge: the mean of the
non-target under do(V_t = v) per method, against its closed-form (observational) mean.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from activa.data.format import DataError, Samples, SCMTable
from activa.data.scm import LinearSCMs, Regimes, interventional_moments
from activa.eval.scoring import subset_rows

TRUTH = "truth samples"


def descendants(adjacency: np.ndarray) -> np.ndarray:
    """reach [S, d, d] bool: ``reach[s, i, j]`` iff there is a directed path i -> ... -> j (i != j)."""
    S, d, _ = adjacency.shape
    reach = adjacency.astype(bool)
    for _ in range(max(1, int(np.ceil(np.log2(max(d, 2)))))):
        reach = reach | (np.einsum("sij,sjk->sik", reach.astype(np.int32), reach.astype(np.int32)) > 0)
    return reach


def true_means(scms: SCMTable, truth: Samples) -> np.ndarray:
    """Closed-form means [S, R, d] of every regime of ``truth`` (linear SCMs only)."""
    family = scms.meta.get("noise_family")
    if family is None:
        raise DataError("scms file: metadata lacks 'noise_family' (closed-form moments need linear SCMs)")
    linear = LinearSCMs(scms.adjacency.astype(bool), scms.weights, family, scms.noise_params)
    values = tuple(truth.meta.get("intervention_values", ()))
    regimes = Regimes(truth.target, truth.value_index, truth.value.astype(np.float64), values)
    return interventional_moments(linear, regimes, jitter_std=0.0)[0][truth.scm]


def aligned_means(truth: Samples, pred: Samples, name: str) -> np.ndarray:
    """Sample means [S, R_int, d] of ``pred`` in the order of ``truth``'s interventional regimes.

    A prediction of a subset of the SCMs (dowhy_gcm) is NaN on the others.
    """
    regimes = truth.regime[truth.interventional]
    rows = subset_rows(truth, pred, "the ground truth", name)
    if rows is not None:
        means = np.full((len(truth.scm), len(regimes), truth.samples.shape[-1]), np.nan)
        means[rows] = aligned_means(dataclasses.replace(truth, samples=truth.samples[rows], scm=pred.scm), pred, name)
        return means
    index = {int(r): i for i, r in enumerate(pred.regime)}
    missing = [int(r) for r in regimes if int(r) not in index]
    if missing:
        raise DataError(f"{name}: column 'regime' lacks interventional regime(s) {missing[:5]} of the ground truth")
    return pred.samples[:, [index[int(r)] for r in regimes]].mean(axis=2, dtype=np.float64)


def _triples(scms: SCMTable, truth: Samples) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Closed-form means [S, R_int, d] of the interventional regimes, and the (SCM, regime, variable) triples
    of each relation: {"descendant": mask, "non-descendant": mask}, both [S, R_int, d], non-targets only."""
    inter = truth.interventional
    mu = true_means(scms, truth)[:, inter]
    target = truth.target[inter]
    is_desc = descendants(scms.adjacency)[truth.scm][:, target, :]
    non_target = np.arange(truth.samples.shape[-1])[None, None, :] != target[None, :, None]
    return mu, {"descendant": is_desc & non_target, "non-descendant": ~is_desc & non_target}


def mean_errors(scms: SCMTable, truth: Samples, preds: dict[str, Samples]) -> pd.DataFrame:
    """Rows (method, relation): pairs, mean |predicted mean - true mean| and its RMS, over non-targets.

    preds: method name -> predictions of ``truth``'s interventional regimes. ``relation`` is
    "descendant" or "non-descendant" of the intervention target.
    """
    mu, relations = _triples(scms, truth)
    means = {TRUTH: truth.samples[:, truth.interventional].mean(axis=2, dtype=np.float64)}
    means.update({m: aligned_means(truth, p, m) for m, p in preds.items()})
    records = []
    for method, m in means.items():
        error = np.abs(m - mu)
        for relation, mask in relations.items():
            mask = mask & ~np.isnan(m)  # a method run on a subset of the SCMs: its SCMs only
            e = error[mask]
            records.append({"method": method, "relation": relation, "pairs": int(mask.sum()),
                            "mean_abs_error": float(e.mean()) if e.size else np.nan,
                            "rms_error": float(np.sqrt((e**2).mean())) if e.size else np.nan})
    return pd.DataFrame.from_records(records)


def per_scm_errors(scms: SCMTable, truth: Samples, pred: Samples, name: str = "predictions"
                   ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per test SCM, the sum of |predicted mean - closed-form mean| over its (regime, non-target) triples on
    descendants and on non-descendants of the target, and their count: {relation: (sums [S], counts [S])}.
    sums.sum() / counts.sum() is ``mean_errors``' mean_abs_error; resampling SCMs gives its bootstrap interval."""
    mu, relations = _triples(scms, truth)
    error = np.abs(aligned_means(truth, pred, name) - mu)
    return {relation: (np.where(mask, error, 0.0).sum(axis=(1, 2)), mask.sum(axis=(1, 2)))
            for relation, mask in relations.items()}


def no_edge(scms: SCMTable, truth: Samples, preds: dict[str, Samples]) -> pd.DataFrame:
    """Two-variable SCMs without an edge: mean of the non-target under each do(V_t = v), per method.

    Rows (target, value, method): scms (how many edgeless SCMs), non_target_mean (averaged over them) and
    abs_shift, the mean over them of |non-target mean - its closed-form (observational) mean|; the
    closed-form values themselves are the rows of method "closed form".
    """
    d = truth.samples.shape[-1]
    if d != 2:
        return pd.DataFrame(columns=["target", "value", "method", "scms", "non_target_mean", "abs_shift"])
    empty = ~scms.adjacency[truth.scm].any(axis=(1, 2))
    inter = truth.interventional
    mu = true_means(scms, truth)[:, inter]
    means = {"closed form": mu, TRUTH: truth.samples[:, inter].mean(axis=2, dtype=np.float64)}
    means.update({m: aligned_means(truth, p, m) for m, p in preds.items()})
    records = []
    for i, r in enumerate(inter):
        t = int(truth.target[r])
        closed = mu[empty, i, 1 - t]
        for method, m in means.items():
            ours = m[empty, i, 1 - t]
            ok = ~np.isnan(ours)  # a method run on a subset of the SCMs: its SCMs only
            records.append({"target": f"V{t}", "value": float(truth.value[r]), "method": method,
                            "scms": int(ok.sum()), "non_target_mean": float(ours[ok].mean()) if ok.any() else np.nan,
                            "abs_shift": float(np.abs(ours[ok] - closed[ok]).mean()) if ok.any() else np.nan})
    return pd.DataFrame.from_records(records)


def to_markdown(errors: pd.DataFrame, edgeless: pd.DataFrame, label: str) -> str:
    """Both tables as one Markdown report."""
    pivot = errors.pivot(index="method", columns="relation", values="mean_abs_error")
    pairs = errors.groupby("relation")["pairs"].first()
    order = list(dict.fromkeys(errors["method"]))
    lines = [f"# {label}: where each method puts an intervention's effect", "",
             "Mean |sample mean - closed-form interventional mean| of the non-target variables, over "
             f"(test SCM, interventional regime, variable) triples: {int(pairs.get('descendant', 0))} on "
             f"descendants of the target, {int(pairs.get('non-descendant', 0))} on non-descendants (whose "
             "true distribution is the observational one). Lower is better; 'truth samples' is the sampling "
             "noise of the ground truth's own means.", "",
             "| method | descendants | non-descendants |", "|---|---:|---:|"]
    triples = errors.pivot(index="method", columns="relation", values="pairs")
    for method in order:
        row = pivot.loc[method]
        name = method if triples.loc[method].equals(triples.loc[order[0]]) else (
            f"{method} ({int(triples.loc[method].sum()):,} triples: a subset of the SCMs)")
        lines.append(f"| {name} | {row.get('descendant', np.nan):.3f} | {row.get('non-descendant', np.nan):.3f} |")
    if len(edgeless):
        lines += ["", f"## SCMs without an edge ({int(edgeless['scms'].iloc[0])} of them)", "",
                  "The non-target's sample mean under do(target = value), averaged over those SCMs, and "
                  "the mean of its absolute shift from the true value, which is its observational mean "
                  "(closed form): an intervention on one of two unconnected variables must not move the other.",
                  "", "| do | method | non-target mean | mean abs shift |", "|---|---|---:|---:|"]
        everyone = int(edgeless["scms"].max())
        for _, row in edgeless.iterrows():
            name = row["method"] if row["scms"] == everyone else f"{row['method']} ({row['scms']} of them)"
            lines.append(f"| do({row['target']} = {row['value']:g}) | {name} | "
                         f"{row['non_target_mean']:.3f} | {row['abs_shift']:.3f} |")
    return "\n".join(lines) + "\n"
