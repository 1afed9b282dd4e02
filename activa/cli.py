"""``python -m activa <stage>`` (also the ``activa`` console script): one subcommand per pipeline stage.

Snakemake rules call these commands and hold no logic of their own; they run the same without Snakemake.
Every stage takes ``--config FILE`` (repeatable; later files override earlier ones, as Snakemake's
``--configfile`` does) and validates it before doing any work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from activa import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="activa", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"activa {__version__}")
    sub = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    def stage(name: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--config", action="append", required=True, type=Path, metavar="FILE",
                       help="config YAML (repeatable, merged in order)")
        p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
        return p

    p = stage("simulate", "Simulate one split of a dataset family to Parquet.")
    p.add_argument("--family", required=True)
    p.add_argument("--split", required=True)
    p.add_argument("--out-samples", required=True, type=Path)
    p.add_argument("--out-scms", required=True, type=Path)
    p.add_argument("--networks", type=Path, help="SERGIO families: folder with the network TSVs (stage networks)")
    p.add_argument("--workers", type=int, default=1, help="processes (SERGIO families); the output does not change")

    p = stage("networks", "Fetch the E. coli and yeast regulatory networks (checked by SHA-256).")
    p.add_argument("--out-dir", required=True, type=Path)

    p = stage("baseline", "Conditional-Gaussian baseline predictions for a samples file.")
    p.add_argument("--family", required=True)
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)

    p = stage("metrics", "Score a predictions file against the ground truth (MMD, WSD, ERG, p).")
    p.add_argument("--family", required=True)
    p.add_argument("--method", required=True)
    p.add_argument("--truth", required=True, type=Path)
    p.add_argument("--pred", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)

    p = stage("table", "Write a metric table (CSV, Markdown, LaTeX) from metrics files.")
    p.add_argument("--name", required=True,
                   help="table1: ACTIVA vs baseline (v2 Table 1); latents: n_latents vs 1 prior latent; "
                        "or a table of the config's v1_tables (v1 layout)")
    p.add_argument("--metrics", nargs="*", default=[], type=Path, help="metrics files")
    p.add_argument("--out-prefix", required=True, type=Path, help="e.g. results/tables/table1")

    p = stage("train", "Train (or resume) one ACTIVA variant.")
    p.add_argument("--variant", required=True)
    p.add_argument("--data", required=True, type=Path, help="the training family's train.samples.parquet")
    p.add_argument("--checkpoint", required=True, type=Path, help="resumed from if it exists")
    p.add_argument("--out-model", required=True, type=Path)
    p.add_argument("--out-log", required=True, type=Path)
    p.add_argument("--out-figures", nargs="+", required=True, type=Path, help="loss curve (.png, .pdf)")

    p = stage("predict", "ACTIVA's samples for every interventional regime of a test split.")
    p.add_argument("--method", required=True,
                   help="activa (config n_latents), activa_1latent, or a variant name (its own model)")
    p.add_argument("--model", required=True, type=Path)
    p.add_argument("--family", required=True)
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)

    p = stage("compare", "Every published v2 Table 1 cell next to ours.")
    p.add_argument("--table1", required=True, type=Path, help="results/tables/table1.csv")
    p.add_argument("--paper-values", required=True, type=Path, help="config/paper_values.yaml")
    p.add_argument("--v1-tables", nargs="*", default=[], type=Path, help="results/tables/v1_table*.csv")
    p.add_argument("--out-prefix", required=True, type=Path, help="e.g. results/tables/paper_comparison")

    p = stage("figures", "A linear family's figures: scatter panels, metric ECDFs, mean calibration.")
    p.add_argument("--family", required=True)
    p.add_argument("--kind", required=True, choices=["summary", "scatter"],
                   help="summary: metric ECDFs and mean calibration; scatter: v2 Fig. 2 / v1 Figs. 3-5 (d = 2)")
    p.add_argument("--scms", required=True, type=Path)
    p.add_argument("--truth", required=True, type=Path)
    p.add_argument("--pred", nargs="+", required=True, type=Path, help="predictions (method from metadata)")
    p.add_argument("--metrics", nargs="+", required=True, type=Path, help="metrics files (method from metadata)")
    p.add_argument("--out-dir", required=True, type=Path)

    p = stage("effects", "Mean errors on descendants vs non-descendants of the target, per method.")
    p.add_argument("--family", required=True)
    p.add_argument("--scms", required=True, type=Path, help="the test split's .scms.parquet")
    p.add_argument("--truth", required=True, type=Path, help="the test split's samples")
    p.add_argument("--pred", nargs="+", required=True, type=Path, help="predictions files (method from metadata)")
    p.add_argument("--out-prefix", required=True, type=Path, help="e.g. results/effects/gauss2")

    p = stage("training-cost", "Parameters, steps, time and final loss of the trained variants.")
    p.add_argument("--models", nargs="+", required=True, type=Path, help="results/models/<variant>/model.msgpack")
    p.add_argument("--logs", nargs="+", required=True, type=Path, help="the matching train_log.csv files, same order")
    p.add_argument("--out-prefix", required=True, type=Path, help="e.g. results/tables/training_cost")

    p = stage("calibrate", "Compare metric conventions with the published baseline values.")
    p.add_argument("--paper-values", required=True, type=Path)
    p.add_argument("--out-prefix", required=True, type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from activa import config as cfg, stages
    from activa.data import DataError

    try:
        config = cfg.load_config(args.config)
        progress = not args.no_progress
        if args.stage == "simulate":
            stages.simulate(config, args.family, args.split, args.out_samples, args.out_scms, progress,
                            args.networks, args.workers)
        elif args.stage == "networks":
            from activa.grn import fetch_networks

            fetch_networks(args.out_dir, config["grn"]["local_dir"])
        elif args.stage == "baseline":
            stages.run_baseline(config, args.family, args.data, args.out)
        elif args.stage == "metrics":
            stages.run_metrics(config, args.family, args.method, args.truth, args.pred, args.out, progress)
        elif args.stage == "table":
            stages.run_table(config, args.name, args.metrics, args.out_prefix)
        elif args.stage == "train":
            stages.run_train(config, args.variant, args.data, args.out_model, args.out_log, args.out_figures,
                             args.checkpoint, progress)
        elif args.stage == "predict":
            stages.run_predict(config, args.method, args.model, args.data, args.family, args.out, progress)
        elif args.stage == "compare":
            stages.run_compare(config, args.table1, args.paper_values, args.out_prefix, args.v1_tables)
        elif args.stage == "figures":
            stages.run_figures(config, args.family, args.kind, args.scms, args.truth, args.pred, args.metrics,
                               args.out_dir)
        elif args.stage == "effects":
            stages.run_effects(config, args.family, args.scms, args.truth, args.pred, args.out_prefix)
        elif args.stage == "training-cost":
            stages.run_training_cost(config, args.models, args.logs, args.out_prefix)
        elif args.stage == "calibrate":
            stages.run_calibrate(config, args.paper_values, args.out_prefix, progress)
    except (cfg.ConfigError, DataError) as exc:
        print(f"activa {args.stage}: error: {exc}", file=sys.stderr)
        return 2
    return 0
