"""A reference method defined outside the package: sortnregress (Reisach, Seiler & Weichwald 2021, "Beware of the
simulated DAG!"), the worked example of docs/methods.md.

Order the variables by increasing marginal variance, regress each on the variables before it with a BIC-tuned
lasso, keep the non-zero coefficients as its parents (with no more samples than candidate parents plus one, the
lasso cannot estimate the noise variance itself: it gets the child's variance, an upper bound that keeps fewer
parents); then fit that DAG by least squares and sample every query from it, as the package's discover-then-estimate
methods do. Named in the config as

    references:
      external:
        sortnregress: {file: docs/examples/sortnregress.py, label: sort by variance + regress,
                       sees: observational, tables: [table1, v1], options: {scms: null}}

``predict`` gets ``activa.eval.references.Inputs`` (the test split, the family's config, ``options``, a seed) and
returns samples [S, R_int, N, d]: every SCM of ``inputs.truth``, every interventional regime, N samples each.
"""

import warnings

import numpy as np
from sklearn.linear_model import LassoLarsIC

from activa.eval.discovery import sample_mixture


def sortnregress_dag(x: np.ndarray) -> np.ndarray:
    """x [N, d] -> DAG bool [d, d] ([i, j]: edge i -> j)."""
    n, d = x.shape
    order = np.argsort(x.var(axis=0), kind="stable")
    dag = np.zeros((d, d), bool)
    for k in range(1, d):
        child, before = order[k], order[:k]
        if x[:, child].std() == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            noise_variance = x[:, child].var(ddof=1) if n <= k + 1 else None
            lasso = LassoLarsIC(criterion="bic", noise_variance=noise_variance).fit(x[:, before], x[:, child])
        dag[before[lasso.coef_ != 0], child] = True
    return dag


def predict(inputs):
    obs = inputs.observational  # [S, N, d]
    target, value = inputs.queries
    dags = [sortnregress_dag(x)[None] for x in obs]
    samples = sample_mixture(obs, dags, target, value, inputs.family.get("jitter_std", 0.0), inputs.rng())
    return samples, {"edges_mean": float(np.mean([g.sum() for g in dags]))}
