"""Where a method puts the effect of an intervention: on the target's descendants, or wrongly on the rest.

Under do(V_t = v) only descendants of t change; every non-descendant keeps its observational distribution.
A method that predicts by conditioning (the baseline) also moves the non-descendants that are correlated
with t (ancestors, or variables sharing an ancestor), which is the error ACTIVA is meant to avoid. For every
(test SCM, interventional regime, non-target variable j) we compare the sample mean of V_j in a method's
predictions with the regime's true mean (``TrueMeans``: closed form on linear SCMs, ``closed_form``; on SERGIO
the pooled mean of many independent runs, ``pooled``), and average the absolute error separately over
descendants and non-descendants of the target. The metrics files carry these sums per (SCM, regime) pair
(``pair_errors``), so every table shows them with the same intervals and paired tests as the distances.

The ground-truth test samples are scored the same way ("truth samples"): their error is the sampling
noise of a mean of N samples (on SERGIO, of N correlated cells), the floor no method can beat.

``no_edge``: the papers' qualitative check, for two-variable SCMs without an edge: the mean of the
non-target under do(V_t = v) per method, against its closed-form (observational) mean.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from activa.data.format import DataError, Samples, SCMTable, TrueMeans
from activa.data.scm import LinearSCMs, Regimes, interventional_moments

TRUTH = "truth samples"
RELATIONS = (("descendant", "desc"), ("non-descendant", "nondesc"))  # (relation, metrics-file column prefix)
PAIR_COLUMNS = tuple(f"{prefix}_{x}" for _, prefix in RELATIONS for x in ("err_sum", "n"))


def descendants(adjacency: np.ndarray) -> np.ndarray:
    """reach [S, d, d] bool: ``reach[s, i, j]`` iff there is a directed path i -> ... -> j (i != j)."""
    S, d, _ = adjacency.shape
    reach = adjacency.astype(bool)
    for _ in range(max(1, int(np.ceil(np.log2(max(d, 2)))))):
        reach = reach | (np.einsum("sij,sjk->sik", reach.astype(np.int32), reach.astype(np.int32)) > 0)
    return reach


def descendant_mask(scms: SCMTable, truth: Samples) -> np.ndarray:
    """[S, R, d] bool: variable j is a descendant of regime r's target (False in the observational regime)."""
    reach = descendants(scms.adjacency)[truth.scm]  # [S, d, d]
    mask = reach[:, np.maximum(truth.target, 0), :]
    return mask & (truth.target >= 0)[None, :, None]


def true_means(scms: SCMTable, truth: Samples) -> np.ndarray:
    """Closed-form means [S, R, d] of every regime of ``truth`` (linear SCMs only)."""
    family = scms.meta.get("noise_family")
    if family not in ("gaussian", "beta"):
        raise DataError(f"scms file: metadata 'noise_family' is {family!r}: closed-form moments need linear SCMs")
    linear = LinearSCMs(scms.adjacency.astype(bool), scms.weights, family, scms.noise_params)
    values = tuple(truth.meta.get("intervention_values", ()))
    regimes = Regimes(truth.target, truth.value_index, truth.value.astype(np.float64), values)
    return interventional_moments(linear, regimes, jitter_std=0.0)[0][truth.scm]


def closed_form(scms: SCMTable, truth: Samples) -> TrueMeans:
    """The true means of a linear family's test split, in closed form."""
    return TrueMeans(true_means(scms, truth), descendant_mask(scms, truth), truth.scm, truth.regime, truth.target)


def pooled(scms: SCMTable, truth: Samples, means: np.ndarray) -> TrueMeans:
    """The true means of a split as ``means`` [S, R, d], the pooled mean of independent runs (SERGIO)."""
    return TrueMeans(np.asarray(means, np.float64), descendant_mask(scms, truth), truth.scm, truth.regime,
                     truth.target)


def pair_errors(means: TrueMeans, pred: Samples, name: str = "predictions") -> dict[str, np.ndarray]:
    """Per (SCM, regime) pair of ``pred`` ([S', R']): the sum of |predicted mean - true mean| over the
    descendants (``desc_err_sum``) and non-descendants (``nondesc_err_sum``) of the target other than the
    target itself, and their counts (``desc_n``, ``nondesc_n``)."""
    rows = np.searchsorted(means.scm, pred.scm)
    ok = (rows < len(means.scm)) & (means.scm[np.minimum(rows, len(means.scm) - 1)] == pred.scm)
    if not ok.all():
        raise DataError(f"{name}: column 'scm': SCM {int(pred.scm[~ok][0])} has no true means")
    position = {int(r): i for i, r in enumerate(means.regime)}
    missing = [int(r) for r in pred.regime if int(r) not in position]
    if missing:
        raise DataError(f"{name}: column 'regime': regime(s) {missing[:5]} have no true means")
    cols = np.array([position[int(r)] for r in pred.regime])
    if not np.array_equal(means.target[cols], pred.target):
        raise DataError(f"{name}: column 'target' disagrees with the true means' for the same regimes")
    mu = means.mean[rows][:, cols]
    desc = means.descendant[rows][:, cols]
    error = np.abs(pred.samples.mean(axis=2, dtype=np.float64) - mu)
    non_target = np.arange(mu.shape[-1])[None, None, :] != pred.target[None, :, None]
    out = {}
    for (_, prefix), mask in zip(RELATIONS, (desc & non_target, ~desc & non_target)):
        out[f"{prefix}_err_sum"] = np.where(mask, error, 0.0).sum(axis=2)
        out[f"{prefix}_n"] = mask.sum(axis=2)
    return out


def aligned_means(truth: Samples, pred: Samples, name: str) -> np.ndarray:
    """Sample means [S, R_int, d] of ``pred`` in the order of ``truth``'s interventional regimes.

    A prediction of a subset of the SCMs (dowhy_gcm) is NaN on the others.
    """
    from activa.eval.scoring import subset_rows

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


def interventional(truth: Samples) -> Samples:
    """``truth``'s interventional regimes as a predictions-like Samples (how the truth's own means score)."""
    r = truth.interventional
    return dataclasses.replace(truth, samples=truth.samples[:, r], target=truth.target[r],
                               value_index=truth.value_index[r], value=truth.value[r], regime=truth.regime[r])


def mean_errors(means: TrueMeans, truth: Samples, preds: dict[str, Samples]) -> pd.DataFrame:
    """Rows (method, relation): pairs (the triples counted), mean |predicted mean - true mean| over them.

    preds: method name -> predictions of ``truth``'s interventional regimes (a method run on a subset of the
    SCMs: its SCMs only); ``relation`` is "descendant" or "non-descendant" of the intervention target.
    """
    from activa.eval.scoring import subset_rows

    records = []
    for method, pred in {TRUTH: interventional(truth), **preds}.items():
        subset_rows(truth, pred, "the ground truth", method)  # the truth's SCMs, or a declared subset of them
        errors = pair_errors(means, pred, method)
        for relation, prefix in RELATIONS:
            n = int(errors[f"{prefix}_n"].sum())
            records.append({"method": method, "relation": relation, "pairs": n,
                            "mean_abs_error": float(errors[f"{prefix}_err_sum"].sum() / n) if n else np.nan})
    return pd.DataFrame.from_records(records)


def per_scm_errors(means: TrueMeans, pred: Samples, name: str = "predictions"
                   ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per SCM of ``pred``: {relation: (sums [S'], counts [S'])} of ``pair_errors`` over its regimes.
    sums.sum() / counts.sum() is ``mean_errors``' mean_abs_error; resampling SCMs gives its bootstrap interval."""
    errors = pair_errors(means, pred, name)
    return {relation: (errors[f"{prefix}_err_sum"].sum(axis=1), errors[f"{prefix}_n"].sum(axis=1))
            for relation, prefix in RELATIONS}


NO_EDGE_COLUMNS = ["target", "value", "method", "scms", "non_target_mean", "abs_shift"]


def no_edge_empty() -> pd.DataFrame:
    """``no_edge``'s frame without rows (families without two-variable linear SCMs)."""
    return pd.DataFrame(columns=NO_EDGE_COLUMNS)


def no_edge(scms: SCMTable, truth: Samples, preds: dict[str, Samples]) -> pd.DataFrame:
    """Two-variable SCMs without an edge: mean of the non-target under each do(V_t = v), per method.

    Rows (target, value, method): scms (how many edgeless SCMs), non_target_mean (averaged over them) and
    abs_shift, the mean over them of |non-target mean - its closed-form (observational) mean|; the
    closed-form values themselves are the rows of method "closed form".
    """
    d = truth.samples.shape[-1]
    if d != 2:
        return no_edge_empty()
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


def to_markdown(errors: pd.DataFrame, edgeless: pd.DataFrame, label: str, source: str = "closed form") -> str:
    """Both tables as one Markdown report (source: where the true means come from, a means file's ``source``)."""
    pivot = errors.pivot(index="method", columns="relation", values="mean_abs_error")
    pairs = errors.groupby("relation")["pairs"].first()
    order = list(dict.fromkeys(errors["method"]))
    lines = [f"# {label}: where each method puts an intervention's effect", "",
             f"Mean |sample mean - true interventional mean ({source})| of the non-target variables, over "
             f"(test SCM, interventional regime, variable) triples: {int(pairs.get('descendant', 0))} on "
             f"descendants of the target, {int(pairs.get('non-descendant', 0))} on non-descendants (whose "
             "true distribution is the observational one). Lower is better; 'truth samples' is the sampling "
             "noise of the ground truth's own means (on SERGIO, of N correlated cells of one run).", "",
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
