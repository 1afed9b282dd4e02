"""The one list of reference methods: what each is called, what it may see, and the function that predicts.

A reference method predicts every interventional regime (query do(V_t = v)) of a test split, samples [N, d] per
query like ACTIVA, and is scored by the metrics rule like every method. From this registry follow the stage
(``python -m activa reference --method NAME``), the Snakemake rules (``workflow/rules/references.smk``), the
rows of the references, effects and v1 tables, and the figures' labels and colours. Adding a method in the
package is a function plus one entry of ``BUILTIN``; a method outside the package is a Python file with a
``predict`` function and an entry of the config's ``references.external`` (docs/methods.md).

What a method may see (``sees``): ``observational`` (the N observational samples of each SCM, as ACTIVA and
the baseline), ``graph`` (also the true graph, ``<split>.scms.parquet``) or ``truth`` (the SCMs themselves).
The stage hands the SCM table only to the last two.

This module imports nothing heavy: the Snakefile reads it to build the rules.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from typing import Any, Callable

SEES = ("observational", "graph", "truth")
TABLES = ("table1", "v1", "real")  # Table 1's families, the v1 tables' families, the real-data families


@dataclasses.dataclass(frozen=True)
class Method:
    """A reference method.

    name: the predictions' method key (``results/predictions/<name>/<family>.parquet``). label: its name in tables
    and figures. sees: one of ``SEES``. predict: ``"module:function"`` taking ``activa.eval.reference_inputs.Inputs``
    and returning samples [S_subset, R_int, N, d] (or that and a dict of notes for the file's metadata); None for a
    method with a stage of its own (``stage``). options: whether the method reads ``references.<name>`` of the config
    (``scms``: a seeded subset of that many test SCMs, null for all). tables: where it runs, ``TABLES``.
    On a real-data family (``real``) the graph a method is told is the family's consensus network.
    source: the Python file of an external method (``references.external``). note: one sentence for the tables.
    """

    name: str
    label: str
    sees: str
    predict: str | None
    colour: str = "0.4"
    options: bool = False
    tables: tuple[str, ...] = ("table1",)
    stage: str = "reference"
    source: str | None = None
    note: str = ""

    def reads(self, family: str) -> list[str]:
        """The config keys stage ``reference`` reads for this method on ``family`` (its rule's ``reads``)."""
        if self.source is not None:
            return ["seed", f"families.{family}", f"references.external.{self.name}"]
        return ["seed", f"families.{family}", *([f"references.{self.name}"] if self.options else [])]

    def load(self) -> Callable[..., Any]:
        """The predict function (imported from the package, or from ``source`` for an external method)."""
        if self.predict is None:
            raise ValueError(f"reference method '{self.name}' has a stage of its own ({self.stage}), no predict")
        module_name, _, function = self.predict.partition(":")
        if self.source is None:
            return getattr(importlib.import_module(module_name), function)
        spec = importlib.util.spec_from_file_location(f"activa_external_{self.name}", self.source)
        if spec is None or spec.loader is None:
            raise ImportError(f"{self.source}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not callable(getattr(module, function, None)):
            raise AttributeError(f"{self.source}: no function '{function}' (references.external.{self.name})")
        return getattr(module, function)


OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000"}

BUILTIN = (
    Method("no_effect", "no effect", "observational", "activa.eval.references:predict_no_effect", OKABE_ITO["yellow"],
           tables=("table1", "real"),
           note="No effect: the observational samples with V_t set to v (no effect downstream)."),
    Method("paper_baseline", "baseline at V_t = 0 (paper's)", "observational", None, OKABE_ITO["orange"],
           stage="paper-baseline",
           note="Baseline at V_t = 0 (paper's): the baseline conditioned on and set to V_t = 0 whatever the query's "
                "value, the way the published baseline numbers were made (results/calibration/published_baseline.md;"
                " on SERGIO, where v = 0, the baseline itself)."),
    # discover-then-estimate (activa/eval/discovery.py): what a researcher would run instead of ACTIVA
    Method("pc_mec", "PC + its class", "observational", "activa.eval.discovery:pc_mec", "#8C564B", options=True,
           tables=TABLES,
           note="PC + its class: PC (causal-learn, Fisher z) on the N observational samples, every DAG of the "
                "equivalence class it finds (a uniform sample of max_dags beyond that), each fitted; every sample "
                "from a DAG drawn uniformly (IDA's mixture)."),
    Method("ges_mec", "GES + its class", "observational", "activa.eval.discovery:ges_mec", "#BCBD22", options=True,
           tables=TABLES, note="GES + its class: the same from GES (causal-learn, BIC score)."),
    Method("lingam", "DirectLiNGAM", "observational", "activa.eval.discovery:lingam", "#17BECF", options=True,
           tables=TABLES, note="DirectLiNGAM: the lingam package's DAG (non-Gaussian noise identifies it), fitted."),
    Method("eqvar", "equal-variance order", "observational", "activa.eval.discovery:eqvar", "#393B79", options=True,
           tables=TABLES,
           note="Equal-variance order: the top-down ordering of Chen, Drton & Wang (2019) (identifiable when every "
                "noise term has the same variance, as in the linear families), parents kept by a t-test, fitted."),
    Method("oracle_graph", "oracle graph", "graph", "activa.eval.references:predict_oracle_graph", OKABE_ITO["green"],
           tables=("table1", "real"),
           note="Oracle graph: the true graph, each mechanism fitted by least squares on its true parents from the "
                "same observational samples, noise from the fitted residuals (normal on the Gaussian families, "
                "resampled residuals otherwise); on the Gaussian families a bound no graph-free method can reach."),
    Method("dowhy_gcm", "DoWhy GCM (linear)", "graph", "activa.eval.references:dowhy_gcm_linear", OKABE_ITO["purple"],
           options=True, tables=("table1", "real"),
           note="DoWhy GCM (linear): dowhy.gcm with the true graph, linear additive-noise mechanisms and empirical "
                "root distributions, on a seeded subset of the test SCMs."),
    Method("dowhy_gcm_auto", "DoWhy GCM (auto-assigned)", "graph", "activa.eval.references:dowhy_gcm_auto", "#7B4173",
           options=True, tables=("table1", "real"),
           note="DoWhy GCM (auto-assigned): dowhy.gcm with the true graph and mechanisms chosen by "
                "gcm.auto.assign_causal_mechanisms; its non-linear regressors cannot extrapolate to V_t = v outside "
                "the observed range (docs/evaluation.md), so it shows what that default does, not a bound."),
    Method("truth_resample", "truth resample", "truth", "activa.eval.references:predict_truth_resample", "#000000",
           note="Truth resample: a second independent run of the ground truth with the same N."),
    Method("truth_pooled", "truth pooled", "truth", None, "0.45", stage="truth-pooled",
           note="Truth pooled: N samples drawn from many independent runs pooled, the score of a perfect prediction "
                "of the condition's distribution (the floor; on SERGIO lower than truth resample, since one run's "
                "cells are snapshots of one trajectory)."),
)


def external(config_references: dict) -> tuple[Method, ...]:
    """The methods of the config's ``references.external`` ({name: {file, function, label, sees, tables}})."""
    out = []
    for name, spec in (config_references.get("external") or {}).items():
        out.append(Method(name, spec["label"], spec["sees"], f"external:{spec.get('function', 'predict')}",
                          spec.get("colour", "0.3"), options=True, tables=tuple(spec["tables"]),
                          source=spec["file"], note=f"{spec['label']}: {spec.get('note', spec['file'])}."))
    return tuple(out)


def registry(config_references: dict | None = None) -> dict[str, Method]:
    """Every reference method, builtin then external (``references`` of the config), by name."""
    methods = BUILTIN + external(config_references or {})
    out: dict[str, Method] = {}
    for method in methods:
        if method.name in out or method.name in ("baseline", "activa", "activa_1latent", "truth"):
            raise ValueError(f"references.external: method name '{method.name}' is taken")
        if method.sees not in SEES:
            raise ValueError(f"reference method '{method.name}': sees must be one of {', '.join(SEES)}, "
                             f"got '{method.sees}'")
        out[method.name] = method
    return out


def table_order(names, sees: dict[str, str] | None = None) -> list[str]:
    """``names`` (method keys of one table row) in the tables' order: no effect, the baselines, ACTIVA, then the
    methods that see the observational samples only, the graph, the truth (builtin before external; ``sees``:
    what an external method sees, default observational)."""
    rank = {"no_effect": 0, "baseline": 1, "paper_baseline": 2, "activa": 3, "activa_1latent": 4}
    sees = {**(sees or {}), **{m.name: m.sees for m in BUILTIN}}
    position = {m.name: i for i, m in enumerate(BUILTIN)}

    def key(name):
        if name in rank:
            return (0, rank[name], 0)
        return (1, SEES.index(sees.get(name, "observational")), position.get(name, len(position)))

    return sorted(names, key=key)


FIXED_LABELS = {"baseline": "baseline", "activa": "ACTIVA", "activa_1latent": "ACTIVA, 1 latent", "truth": "ground truth"}


def sees_of(name: str, meta: dict | None = None) -> str:
    """What a method sees: the registry's, else what its file's metadata says (an external method), else
    observational (the baseline, ACTIVA)."""
    builtin = {m.name: m.sees for m in BUILTIN}
    return builtin.get(name) or (meta or {}).get("sees") or "observational"


def label_of(name: str, meta: dict | None = None) -> str:
    """A method's label in tables: the registry's, else the one its file's metadata carries, else its name."""
    builtin = {m.name: m.label for m in BUILTIN}
    return FIXED_LABELS.get(name) or builtin.get(name) or (meta or {}).get("label") or name
