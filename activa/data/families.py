"""The kinds of dataset family, one module each behind one interface: what the config's ``generator`` names.

A family (``families.<name>`` of the config) is of one kind:

- ``linear``: linear SCMs with Gaussian or Beta noise (``activa.data.scm``; v2 A.2.1, v1 A.1): closed-form true
  means, fresh SCMs drawn on the device while training, a second run of the truth at will.
- ``sergio``: SERGIO single-cell expression with knockouts on real regulatory networks (``activa.data.sergio``;
  v2 A.2.2): needs the network files (stage ``networks``), true means pooled over independent runs.
- ``sachs``: real flow-cytometry cells, no simulator (``activa.data.sachs``; Sachs et al. 2005): needs the cell
  files (stage ``sachs-data``); a split is draws of cells, its floor the condition's other half of cells.

Every stage asks a family's ``Kind`` what it needs and can do instead of testing the generator's name, and calls
the kind's module through the functions below. A module implements

- ``make_split(config, family, spec, n_scm, seed, resources, progress, workers) -> (params, Regimes, samples)``
  (samples [S, R, N, d]; ``resources``: the folder of its resource files)
- ``scm_columns(params) -> (adjacency [S, d, d], weights [S, d, d], noise_params [S, d, P], metadata)``
- ``draw_truth(truth, scms, spec, rng, resources) -> samples [S, R, N, d]``: a new independent draw of every
  regime of a split (the truth resample and pooled references)
- ``true_means(scms, truth, pooled_means, runs, resources) -> (TrueMeans, source)``: every regime's true mean (closed
  form, the pooled mean of ``runs`` independent runs, or measured) and how it was found

and a real kind (``simulated`` False) also ``condition_labels(spec) -> [str]``: its interventional regimes' names.

This module imports nothing heavy: the Snakefile reads it to build the rules.
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Kind:
    """A kind of dataset family.

    name: the config's ``generator``. module: the module implementing it. resources: the stage that writes the
    files its splits are made from (None: none; the simulate stage then takes no ``--resources``). simulated:
    whether its splits come from a simulator (False: real data; no training split from fresh SCMs, and the
    tables built for simulated data, Table 1's and the v1 tables', do not take it). closed_form: linear SCMs,
    whose true means are known in closed form (the mean-calibration figures, the edgeless check). fresh_scms:
    training can draw new SCMs on the device (``activa.data.scm_device``).
    """

    name: str
    module: str
    resources: str | None = None
    simulated: bool = True
    closed_form: bool = False
    fresh_scms: bool = False

    def load(self):
        """The kind's module."""
        return importlib.import_module(self.module)


KINDS = {
    "linear": Kind("linear", "activa.data.scm", closed_form=True, fresh_scms=True),
    "sergio": Kind("sergio", "activa.data.sergio", resources="networks"),
    "sachs": Kind("sachs", "activa.data.sachs", resources="sachs-data", simulated=False),
}

# The files each resources stage writes, in the pipeline's layout (every stage also takes another folder); the
# modules that write them hold their checksums (``grn.NETWORK_FILES``, ``sachs.FILES``; tests check the names agree).
RESOURCES = {
    "networks": ["resources/grn/ecoli_transcriptional_network_regulonDB_6_7.tsv",
                 "resources/grn/yeast_transcriptional_network_Balaji2006.tsv"],
    "sachs-data": ["resources/sachs/cyto_full_data.csv", "resources/sachs/cyto_full_target.csv"],
}


def kind_of(spec: dict) -> Kind:
    """The kind of a family's config (its ``generator``); ``ValueError`` naming the known ones otherwise."""
    name = spec.get("generator")
    if name not in KINDS:
        raise ValueError(f"generator {name!r} is not a kind of family; expected one of {', '.join(KINDS)}")
    return KINDS[name]


def resource_files(spec: dict) -> list[str]:
    """The files that a family's splits are made from (its simulate rule's inputs; none for linear families)."""
    kind = kind_of(spec)
    return list(RESOURCES[kind.resources]) if kind.resources else []


def resource_dir(spec: dict) -> str | None:
    """The folder of ``resource_files`` (the simulate stage's ``--resources``), None without resources."""
    files = resource_files(spec)
    return str(Path(files[0]).parent) if files else None
