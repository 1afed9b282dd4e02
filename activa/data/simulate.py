"""One split of a configured dataset family, simulated in memory, and what its two files record.

Random streams: a (family, split) draws from ``scm.seed_sequence(config seed, "simulate", family, split)``;
v1's fixed graph sets (``n_graphs``) from ``seed_sequence(seed, "graph_pool", family)``, shared by the splits.
The same config therefore gives the same samples whatever else runs, and the files are byte-identical.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from activa import config as cfg
from activa.data import scm
from activa.data.families import kind_of
from activa.data.format import Samples


def simulate_split(config: dict, family: str, split: str, jitter_std: float | None = None,
                   progress: bool = True, resources: str | Path | None = None, workers: int = 1):
    """(per-SCM parameters, Samples [S, R, N, d]) of one split of a family, made by its kind's module
    (``activa.data.families``: linear SCMs, SERGIO simulations, draws of the Sachs cells).

    ``jitter_std`` overrides the configured one (linear families); ``resources``: the folder of the files the
    kind's splits are made from (SERGIO: the network TSVs; Sachs: the cell files); ``workers``: processes (SERGIO;
    the result does not change); ``progress``: a progress bar on stderr.
    """
    spec = dict(cfg.family(config, family))
    n_scm = cfg.lookup(config, f"families.{family}.splits.{split}")
    if jitter_std is not None:
        spec["jitter_std"] = jitter_std
    seed = scm.seed_sequence(config["seed"], "simulate", family, split)
    module = kind_of(spec).load()
    with tqdm(total=n_scm, desc=f"simulate {family}/{split}", unit="scm", file=sys.stderr, disable=not progress,
              mininterval=1.0) as bar:
        params, regimes, samples = module.make_split(config, family, spec, n_scm, seed, resources,
                                                     progress=bar.update, workers=workers)
    data = Samples(samples.astype(np.float32), regimes.target, regimes.value_index, regimes.value.astype(np.float32),
                   np.arange(n_scm, dtype=np.int32), np.arange(len(regimes), dtype=np.int16))
    return params, data


def scm_columns(spec: dict, params) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """The ``<split>.scms.parquet`` columns of a family's parameters (``spec``: the family's config): adjacency
    [S, d, d], weights [S, d, d] (beta_ij; SERGIO: k_ij; Sachs: none, zeros), noise_params [S, d, P], and the
    metadata naming the P parameters."""
    return kind_of(spec).load().scm_columns(params)


def family_meta(config: dict, family: str, split: str) -> dict:
    """The metadata every file derived from a family's split carries: its name, split, config and seed."""
    spec = cfg.family(config, family)
    return {"family": family, "split": split, "config": spec, "seed": config["seed"],
            "intervention_values": spec["intervention_values"]}
