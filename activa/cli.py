"""``python -m activa <stage>`` (also the ``activa`` console script): one subcommand per pipeline stage.

Snakemake rules call these commands and hold no logic of their own; they run the same without Snakemake.
Every stage takes ``--config FILE`` (repeatable; later files override earlier ones, as Snakemake's
``--configfile`` does) and validates the merged config before doing any work. ``STAGES`` is the one table
of the stages: each one's function, arguments, and the config keys it reads (``reads``). The function
receives only those keys (``config.subset``), and each Snakemake rule hashes the same subset as its
``reads`` param, so a rule reruns when, and only when, something its stage reads changes.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from activa import __version__, stages
from activa import config as cfg


def arg(*flags: str, **options) -> tuple[tuple[str, ...], dict]:
    """One ``add_argument`` call of a stage: its flags and options."""
    return flags, options


def integer(low: int, high: int | None = None) -> Callable[[str], int]:
    """An option's type: an integer in low..high (no upper bound if ``high`` is None); argparse names the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            bounds = f">= {low}" if high is None else f"in {low}..{high}"
            raise argparse.ArgumentTypeError(f"expected an integer {bounds}, got {text!r}")
        return value

    return parse


def n_latents(text: str) -> int:
    """The type of ``--n-latents``: 1..``activa.model.api.MAX_LATENTS`` (imported only when the option is given)."""
    from activa.model.api import MAX_LATENTS

    return integer(1, MAX_LATENTS)(text)


def positive_seconds(text: str) -> float:
    """An option's type: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds > 0, got {text!r}")
    return value


@dataclass(frozen=True)
class Stage:
    """A pipeline stage: ``run(config subset, **arguments)``; ``reads(config, args)`` -> dotted config keys."""

    run: Callable
    help: str
    reads: Callable[[dict, argparse.Namespace], list[str]]
    arguments: list = field(default_factory=list)
    progress: bool = False  # run takes progress= (a progress bar on stderr unless --no-progress)


def _table_reads(config: dict, args: argparse.Namespace) -> list[str]:
    if args.name in ("table1", "table1_references"):
        return ["seed", "intervals", "table1.rows"]
    if args.name == "latents":
        return ["seed", "intervals", "table1.rows", "activa.inference.methods"]
    if args.name not in config["v1_tables"]:
        raise cfg.ConfigError(f"table: unknown table '{args.name}', expected table1, table1_references, latents or "
                              f"one of v1_tables ({', '.join(config['v1_tables'])})")
    return ["seed", "intervals", f"v1_tables.{args.name}"]


def _train_reads(config: dict, args: argparse.Namespace) -> list[str]:
    from activa.model.variants import train_keys

    return train_keys(config, args.variant)


def _pretrained_reads(config: dict, args: argparse.Namespace) -> list[str]:
    family = cfg.lookup(config, f"activa.variants.{args.variant}")["train_on"]
    return [f"activa.variants.{args.variant}", f"families.{family}.n_vars", f"families.{family}.intervention_values"]


def _family_label_reads(config: dict, args: argparse.Namespace) -> list[str]:
    return [f"families.{args.family}.generator", f"families.{args.family}.label"]


def _paper_baseline_reads(config: dict, args: argparse.Namespace) -> list[str]:
    name = cfg.lookup(config, "references.paper_baseline")
    if name not in config["calibration"]["baseline_hypotheses"]["hypotheses"]:
        raise cfg.ConfigError(f"references.paper_baseline: '{name}' is not a hypothesis of "
                              "calibration.baseline_hypotheses.hypotheses")
    return ["seed", "baseline.ridge", f"families.{args.family}", "references.paper_baseline",
            f"calibration.baseline_hypotheses.hypotheses.{name}"]


def _reference_reads(config: dict, args: argparse.Namespace) -> list[str]:
    from activa.eval.methods import registry

    methods = registry(config["references"])
    if args.method not in methods:
        raise cfg.ConfigError(f"reference: unknown method '{args.method}', expected one of {', '.join(methods)}")
    return methods[args.method].reads(args.family)


REQUIRED = {"required": True}
PATH = {"required": True, "type": Path}
PATHS = {"nargs": "+", "required": True, "type": Path}

STAGES = {
    "simulate": Stage(
        stages.run_simulate, "Simulate one split of a dataset family to Parquet.",
        lambda config, args: ["seed", f"families.{args.family}"],
        [arg("--family", **REQUIRED), arg("--split", **REQUIRED), arg("--out-samples", **PATH),
         arg("--out-scms", **PATH),
         arg("--resources", "--networks", dest="resources", type=Path,
             help="the folder of the files the family's splits are made from (activa.data.families): SERGIO's "
                  "network TSVs (stage networks), the Sachs cells (stage sachs-data)"),
         arg("--workers", type=integer(1), default=1, help="processes (SERGIO families); the output does not change")],
        progress=True),
    "networks": Stage(
        stages.run_networks, "Fetch the E. coli and yeast regulatory networks (checked by SHA-256).",
        lambda config, args: ["grn.local_dir"],
        [arg("--out-dir", **PATH)]),
    "sachs-data": Stage(
        stages.run_sachs_data, "Fetch the Sachs et al. (2005) cells and consensus network (checked by SHA-256).",
        lambda config, args: ["sachs_data.local_dir"],
        [arg("--out-dir", **PATH)]),
    "baseline": Stage(
        stages.run_baseline, "Conditional-Gaussian baseline predictions for a samples file.",
        lambda config, args: ["seed", "baseline.ridge", f"families.{args.family}"],
        [arg("--family", **REQUIRED), arg("--data", **PATH), arg("--out", **PATH)]),
    "paper-baseline": Stage(
        stages.run_paper_baseline, "Reference paper_baseline: the baseline as the published baseline numbers were "
                                   "made (references.paper_baseline).", _paper_baseline_reads,
        [arg("--family", **REQUIRED), arg("--data", **PATH, help="the family's test.samples.parquet"),
         arg("--out", **PATH)]),
    "reference": Stage(
        stages.run_reference, "A reference method's predictions for every query of a test split (activa.eval.methods: "
                              "no_effect, pc_mec, ges_mec, lingam, eqvar, oracle_graph, dowhy_gcm, ... or an external "
                              "method of references.external).", _reference_reads,
        [arg("--method", **REQUIRED), arg("--family", **REQUIRED),
         arg("--data", **PATH, help="the family's test.samples.parquet"),
         arg("--scms", type=Path, help="the family's test.scms.parquet (methods that see the graph or the truth)"),
         arg("--source", type=Path, help="an external method's Python file (references.external.<method>.file)"),
         arg("--out", **PATH),
         arg("--workers", type=integer(1), default=1, help="processes, for the methods that use them; the output "
                                                           "does not change")],
        progress=True),
    "truth-pooled": Stage(
        stages.run_truth_pooled, "Reference truth_pooled (many independent runs pooled), the split's true means and "
                                 "how correlated a regime's samples are.",
        lambda config, args: ["seed", f"families.{args.family}", "references.truth_pooled"],
        [arg("--family", **REQUIRED), arg("--data", **PATH, help="the family's test.samples.parquet"),
         arg("--scms", **PATH, help="the family's test.scms.parquet (the SCMs to rerun)"),
         arg("--out", **PATH, help="the truth_pooled predictions"),
         arg("--out-means", **PATH, help="e.g. results/data/<family>/test.means.parquet"),
         arg("--out-floor", **PATH, help="e.g. results/data/<family>/test.effective_samples.csv"),
         arg("--resources", type=Path, help="the folder of the files the family's kind needs (activa.data.families; "
                                            "Sachs: the cells, stage sachs-data)")],
        progress=True),
    "metrics": Stage(
        stages.run_metrics, "Score a predictions file against the ground truth (MMD, WSD, ERG, p).",
        lambda config, args: ["seed", "metrics"],
        [arg("--family", **REQUIRED), arg("--method", **REQUIRED), arg("--truth", **PATH), arg("--pred", **PATH),
         arg("--means", **PATH, help="the test split's .means.parquet (stage truth-pooled)"), arg("--out", **PATH)],
        progress=True),
    "table": Stage(
        stages.run_table, "Write a metric table (CSV, Markdown, LaTeX) from metrics files.", _table_reads,
        [arg("--name", **REQUIRED, help="table1: ACTIVA vs baseline (v2 Table 1); table1_references: with the "
                                        "reference methods; latents: one column group per activa.inference.methods "
                                        "entry; or a table of the config's v1_tables"),
         arg("--metrics", nargs="*", default=[], type=Path, help="metrics files"),
         arg("--floors", nargs="*", default=[], type=Path,
             help="table1_references: results/data/<family>/test.effective_samples.csv (stage truth-pooled)"),
         arg("--out-prefix", **PATH, help="e.g. results/tables/table1")]),
    "real-table": Stage(
        stages.run_real_table, "Every method on a real-data family's interventions: table and shift figure.",
        lambda config, args: ["seed", "intervals", "metrics", f"families.{args.family}"],
        [arg("--family", **REQUIRED), arg("--truth", **PATH, help="the family's test.samples.parquet"),
         arg("--means", **PATH, help="the family's test.means.parquet (stage truth-pooled)"),
         arg("--pred", **PATHS, help="results/predictions/<method>/<family>.parquet of every method, the floor "
                                     "(truth_pooled) and no_effect among them"),
         arg("--out-prefix", **PATH, help="e.g. results/tables/sachs"),
         arg("--out-figures", **PATHS, help="e.g. results/figures/sachs_shifts.pdf results/figures/sachs_shifts.png")]),
    "calibration-table": Stage(
        stages.run_calibration_table, "Every method's calibration on Table 1's families: table and figure.",
        lambda config, args: ["seed", "intervals", "table1.rows"],
        [arg("--metrics", **PATHS, help="metrics files (method and family from their metadata)"),
         arg("--densities", nargs="*", default=[], type=Path,
             help="ACTIVA's held-out -log p files (stage density), results/density/<family>.parquet"),
         arg("--out-prefix", **PATH, help="e.g. results/tables/calibration"),
         arg("--out-figures", **PATHS, help="e.g. results/figures/calibration.png results/figures/calibration.pdf")]),
    "settings-table": Stage(
        stages.run_settings_table, "Every model's inference candidates on its validation split, the chosen marked.",
        lambda config, args: ["activa.inference.select.alpha",
                              *(f"families.{f}.label" for f in config["families"])],
        [arg("--tables", **PATHS, help="results/models/<variant>/inference.csv"),
         arg("--out-prefix", **PATH, help="e.g. results/tables/inference_settings")]),
    "train": Stage(
        stages.run_train, "Train (or resume) one ACTIVA variant.", _train_reads,
        [arg("--variant", **REQUIRED),
         arg("--data", **PATH, help="the training family's train.samples.parquet"),
         arg("--checkpoint", **PATH, help="resumed from if it exists"),
         arg("--out-model", **PATH), arg("--out-log", **PATH),
         arg("--out-figures", **PATHS, help="loss curve (.png, .pdf)"),
         arg("--init", type=Path, default=None, metavar="MODEL",
             help="start from this model file's parameters (same variant; fresh optimiser, the budget's warm-up)"),
         arg("--deadline", type=positive_seconds, default=None, metavar="UNIX_TIME",
             help="end training at this wall-clock time, the schedule re-planned to end with it"),
         arg("--train-seconds", type=positive_seconds, default=None, metavar="S",
             help="end training S seconds after its step is compiled, the schedule re-planned to end with it")],
        progress=True),
    "pretrained": Stage(
        stages.run_pretrained, "A shipped ACTIVA model in place of training it (SHA-256 and config checked).",
        _pretrained_reads,
        [arg("--variant", **REQUIRED), arg("--manifest", **PATH, help="models/manifest.json"),
         arg("--out-model", **PATH), arg("--out-log", **PATH),
         arg("--out-figures", **PATHS, help="loss curve (.png, .pdf)")]),
    "select-inference": Stage(
        stages.run_select_inference, "Choose how a trained model predicts, on its training family's validation split.",
        lambda config, args: ["seed", "activa.inference.setting", "activa.inference.select",
                              "activa.inference.batch_size"],
        [arg("--model", **PATH, help="the trained model (results/models/<variant>/trained.msgpack)"),
         arg("--data", **PATH, help="its training family's validation.samples.parquet"),
         arg("--n-latents", type=n_latents, required=True, metavar="L",
             help="latents per query, as its predictions"),
         arg("--out-model", **PATH, help="the model file with its inference setting (results/models/<variant>/"
                                         "model.msgpack)"),
         arg("--out-table", **PATH, help="the candidates' validation scores (CSV)")],
        progress=True),
    "density": Stage(
        stages.run_density, "Held-out -log p of a test split under a model's predicted mixtures (a subset of SCMs).",
        lambda config, args: ["seed", f"families.{args.family}", "density", "activa.inference.batch_size"],
        [arg("--family", **REQUIRED), arg("--model", **PATH), arg("--data", **PATH),
         arg("--n-latents", type=n_latents, required=True, metavar="L",
             help="latents per query, as its predictions"),
         arg("--out", **PATH, help="e.g. results/density/<family>.parquet")],
        progress=True),
    "predict": Stage(
        stages.run_predict, "ACTIVA's samples for every interventional regime of a test split.",
        lambda config, args: ["seed", f"families.{args.family}", "activa.inference.batch_size"],
        [arg("--method", **REQUIRED, help="the predictions' name: activa, activa_1latent (the v2 model of Table 1) "
                                          "or a variant's name (its own predictions)"),
         arg("--model", **PATH), arg("--family", **REQUIRED), arg("--data", **PATH), arg("--out", **PATH),
         arg("--n-latents", type=n_latents, default=None, metavar="L",
             help="latents per query (activa.inference); default: the model config's n_latents")],
        progress=True),
    "compare": Stage(
        stages.run_compare, "Every published cell (v2 Table 1; v1 Tables 1, 2, 3, 6) next to ours.",
        lambda config, args: ["families", "activa.train", "activa.pretrained.variants", "activa.variants",
                              "table1.rows"],
        [arg("--table1", **PATH, help="results/tables/table1.csv"),
         arg("--paper-values", **PATH, help="config/paper_values.yaml"),
         arg("--v1-tables", nargs="*", default=[], type=Path, help="results/tables/v1_table*.csv"),
         arg("--models", nargs="*", default=[], type=Path, help="model files of Table 1's ACTIVA variants"),
         arg("--published-baseline", type=Path, default=None,
             help="results/calibration/published_baseline.csv: notes who reproduces each published baseline cell"),
         arg("--references", type=Path, default=None,
             help="results/tables/table1_references.csv: the baseline queried at V_t = 0 beside the published one"),
         arg("--out-prefix", **PATH, help="e.g. results/tables/paper_comparison")]),
    "figures": Stage(
        stages.run_figures, "A family's figures: metric ECDFs; linear families: mean calibration, scatter panels.",
        lambda config, args: [f"families.{args.family}.generator", f"families.{args.family}.label"],
        [arg("--family", **REQUIRED),
         arg("--kind", **REQUIRED, choices=["ecdf", "summary", "scatter"],
             help="ecdf: metric ECDFs (any family); summary: mean calibration; scatter: v2 Fig. 2 / v1 Figs. 3-5 "
                  "(d = 2)"),
         arg("--scms", type=Path, help="summary, scatter"), arg("--truth", type=Path, help="summary, scatter"),
         arg("--pred", nargs="+", type=Path, help="summary, scatter: predictions (method from metadata)"),
         arg("--metrics", **PATHS, help="metrics files (method from metadata)"), arg("--out-dir", **PATH)]),
    "effects": Stage(
        stages.run_effects, "Mean errors on descendants vs non-descendants of the target, per method.",
        _family_label_reads,
        [arg("--family", **REQUIRED), arg("--scms", **PATH, help="the test split's .scms.parquet"),
         arg("--truth", **PATH, help="the test split's samples"),
         arg("--means", **PATH, help="the test split's .means.parquet (stage truth-pooled)"),
         arg("--pred", **PATHS, help="predictions files (method from metadata)"),
         arg("--out-prefix", **PATH, help="e.g. results/effects/gauss2")]),
    "training-cost": Stage(
        stages.run_training_cost, "Parameters, steps, time and final loss of the trained variants.",
        lambda config, args: ["families"],
        [arg("--models", **PATHS, help="results/models/<variant>/model.msgpack"),
         arg("--logs", **PATHS, help="the matching train_log.csv files, same order"),
         arg("--out-prefix", **PATH, help="e.g. results/tables/training_cost")]),
    "calibrate": Stage(
        stages.run_calibrate, "Compare metric conventions with the published baseline values.",
        lambda config, args: ["seed", "baseline.ridge", "metrics", "calibration.families",
                              "calibration.jitter_std_candidates", "calibration.generator_variants",
                              *(f"families.{f}" for f in config["calibration"]["families"])],
        [arg("--paper-values", **PATH), arg("--out-prefix", **PATH)],
        progress=True),
    "baseline-hypotheses": Stage(
        stages.run_baseline_hypotheses, "Ways the published baseline could have been computed, on a test split.",
        lambda config, args: ["seed", "baseline.ridge", "metrics.chunk_size",
                              "calibration.baseline_hypotheses.scms", "calibration.baseline_hypotheses.hypotheses"],
        [arg("--family", **REQUIRED), arg("--data", **PATH, help="the family's test.samples.parquet"),
         arg("--out", **PATH, help="e.g. results/calibration/baseline_hypotheses/gauss2.csv")],
        progress=True),
    "published-baseline": Stage(
        stages.run_published_baseline, "Which baseline hypothesis reproduces each published baseline cell.",
        lambda config, args: ["metrics.mmd", "metrics.wsd", "metrics.erg", "calibration.baseline_hypotheses",
                              *(f"families.{f}.{key}" for f in config["calibration"]["baseline_hypotheses"]["families"]
                                for key in ("label", "generator"))],
        [arg("--paper-values", **PATH, help="config/paper_values.yaml"),
         arg("--hypotheses", **PATHS, help="results/calibration/baseline_hypotheses/<family>.csv"),
         arg("--out-prefix", **PATH, help="e.g. results/calibration/published_baseline")]),
}


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per entry of ``STAGES``."""
    top = argparse.ArgumentParser(prog="activa", description=__doc__.split("\n")[0])
    top.add_argument("--version", action="version", version=f"activa {__version__}")
    sub = top.add_subparsers(dest="stage", required=True, metavar="STAGE")
    for name, stage in STAGES.items():
        p = sub.add_parser(name, help=stage.help, description=stage.help)
        p.add_argument("--config", action="append", required=True, type=Path, metavar="FILE",
                       help="config YAML (repeatable, merged in order)")
        p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
        for flags, options in stage.arguments:
            p.add_argument(*flags, **options)
    return top


def stage_reads(config: dict, args: argparse.Namespace) -> dict:
    """The subset of ``config`` that stage ``args.stage`` reads (what its rule's ``reads`` param must equal)."""
    return cfg.subset(config, STAGES[args.stage].reads(config, args))


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    stage = STAGES[args.stage]
    from activa.data.format import DataError

    try:
        config = stage_reads(cfg.load_config(args.config), args)
        kwargs = {key: value for key, value in vars(args).items() if key not in ("stage", "config", "no_progress")}
        if stage.progress:
            kwargs["progress"] = not args.no_progress
        stage.run(config, **kwargs)
    except (cfg.ConfigError, DataError) as exc:
        print(f"activa {args.stage}: error: {exc}", file=sys.stderr)
        return 2
    return 0
