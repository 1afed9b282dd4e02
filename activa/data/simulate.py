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
from activa.data.format import Samples


def simulate_split(config: dict, family: str, split: str, jitter_std: float | None = None,
                   progress: bool = True, networks: dict[str, Path] | None = None, workers: int = 1):
    """(per-SCM parameters, Samples [S, R, N, d]) of one split of a family.

    Linear families give ``scm.LinearSCMs`` (``jitter_std`` overrides the configured one); SERGIO families
    give ``sergio.SergioParams`` and need ``networks`` (name -> TSV, ``grn.network_paths``). ``progress``:
    a progress bar on stderr.
    """
    spec = dict(cfg.family(config, family))
    n_scm = cfg.lookup(config, f"families.{family}.splits.{split}")
    if jitter_std is not None:
        spec["jitter_std"] = jitter_std
    seed = scm.seed_sequence(config["seed"], "simulate", family, split)
    with tqdm(total=n_scm, desc=f"simulate {family}/{split}", unit="scm", file=sys.stderr, disable=not progress,
              mininterval=1.0) as bar:
        if spec["generator"] == "sergio":
            from activa.data import sergio

            if networks is None:
                raise cfg.ConfigError(f"simulate: family '{family}' is a SERGIO family and needs --networks DIR")
            params, regimes, samples = sergio.simulate(spec, n_scm, seed, networks, progress=bar.update,
                                                       workers=workers)
        else:
            pool = None
            if spec["n_graphs"] is not None:  # graphs from a fixed set shared by the splits (ACTIVA v1)
                pool = scm.graph_pool(spec, scm.seed_sequence(config["seed"], "graph_pool", family))
            params, regimes, samples = scm.simulate(spec, n_scm, seed, progress=bar.update, pool=pool)
    data = Samples(samples.astype(np.float32), regimes.target, regimes.value_index, regimes.value.astype(np.float32),
                   np.arange(n_scm, dtype=np.int32), np.arange(len(regimes), dtype=np.int16))
    return params, data


def scm_columns(params) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """The ``<split>.scms.parquet`` columns of either kind of parameters: adjacency [S, d, d], weights [S, d, d]
    (beta_ij; SERGIO: k_ij), noise_params [S, d, P], and the metadata naming the P parameters."""
    if isinstance(params, scm.LinearSCMs):
        return (params.adjacency, params.weights, params.noise_params,
                {"noise_family": params.noise_family, "noise_param_names": scm.NOISE_PARAM_NAMES[params.noise_family]})
    from activa.data import sergio

    table, names = sergio.param_table(params)
    return params.adjacency, params.k, table, {"noise_family": "sergio", "noise_param_names": names}


def family_meta(config: dict, family: str, split: str) -> dict:
    """The metadata every file derived from a family's split carries: its name, split, config and seed."""
    spec = cfg.family(config, family)
    return {"family": family, "split": split, "config": spec, "seed": config["seed"],
            "intervention_values": spec["intervention_values"]}
