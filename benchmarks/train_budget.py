"""Train ACTIVA variants for a fixed wall-clock budget each, then predict, score and tabulate them.

    python benchmarks/train_budget.py --variants gauss2 v1model_gauss2 --budget-s 120 --out /tmp/budget \
        [--config config/config.yaml ...] [--copy-to DIR]

For comparing architectures at equal training time (e.g. v1 against v2 on v2's data) on whatever device JAX
picks, without Snakemake (the GPU machines have none). Per variant: simulate its training and test splits
(paper scale unless the config says otherwise), time one compiled chunk of steps, set ``epochs`` so that the
run takes about ``--budget-s`` seconds at that rate, then run the pipeline's own stages: train, predict
(v2: method ``activa``; v1: the variant's name), baseline, metrics. Writes ``<out>/comparison.md`` (v1 layout:
one row per data and method) and ``<out>/training_cost.md`` after every variant, so a run cut short keeps
what it finished; ``--copy-to`` copies both there too. ``--out`` must be new or empty.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import math
import shutil
import time
from pathlib import Path

import jax
from bench_train import steps_per_second  # benchmarks/ is on sys.path when run as a script

from activa import config as cfg, stages
from activa.data import read_samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--variants", nargs="+", required=True)
    parser.add_argument("--budget-s", type=float, required=True, help="training seconds per variant")
    parser.add_argument("--bench-steps", type=int, default=10)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--copy-to", type=Path, default=None)
    args = parser.parse_args()
    config = copy.deepcopy(cfg.load_config(args.config or [Path("config/config.yaml")]))
    out = args.out
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"--out {out}: not empty; give a new folder (files of an earlier run would be mixed in)")
    device = jax.devices()[0]
    print(f"jax {jax.__version__} on {device.platform}: {device.device_kind}", flush=True)
    rows, models, logs, metric_paths = {}, [], [], []  # only this invocation's files go into the tables
    for variant in args.variants:
        _, _, spec = stages.variant_configs(config, variant)
        families = [spec["train_on"], *spec["test_on"]]
        for family, split in [(spec["train_on"], "train"), *((f, "test") for f in spec["test_on"])]:
            base = out / "data" / family / split
            if not base.with_suffix(".samples.parquet").exists():
                stages.simulate(config, family, split, base.with_suffix(".samples.parquet"),
                                base.with_suffix(".scms.parquet"), progress=False)
        train_path = out / "data" / spec["train_on"] / "train.samples.parquet"
        data = read_samples(train_path)
        rate, _ = steps_per_second(config, variant, data, args.bench_steps)
        steps_per_epoch = math.ceil(data.samples.shape[0] / spec["batch_size"])
        epochs = max(1, int(args.budget_s * rate / steps_per_epoch))
        run_config = cfg.deep_merge(config, {"activa": {"variants": {variant: {"epochs": epochs}},
                                                        "training": {"steps_per_call": 100,
                                                                     "checkpoint_every": 100 * 10**6}}})
        print(f"{variant}: {rate:.2f} steps/s -> {epochs} epochs = {epochs * steps_per_epoch} steps", flush=True)
        model_dir = out / "models" / variant
        stages.run_train(run_config, variant, train_path, model_dir / "model.msgpack", model_dir / "train_log.csv",
                         [model_dir / "loss.png"], out / "checkpoints" / f"{variant}.msgpack", progress=False)
        models.append(model_dir / "model.msgpack")
        logs.append(model_dir / "train_log.csv")
        method = "activa" if spec["architecture"] == "v2" else variant
        for family in spec["test_on"]:
            test = out / "data" / family / "test.samples.parquet"
            for m in ("baseline", method):
                pred = out / "predictions" / m / f"{family}.parquet"
                if not pred.exists():
                    if m == "baseline":
                        stages.run_baseline(config, family, test, pred)
                    else:
                        stages.run_predict(run_config, m, model_dir / "model.msgpack", test, family, pred,
                                           progress=False)
                metrics = out / "metrics" / m / f"{family}.parquet"
                if not metrics.exists():
                    stages.run_metrics(config, family, m, test, pred, metrics, progress=False)
                if metrics not in metric_paths:
                    metric_paths.append(metrics)
            label = f"ACTIVA {spec['architecture']} ({variant}, {epochs} epochs)"
            rows.setdefault(family, {"baseline": "baseline"})[method] = label
        spec_table = {"title": f"ACTIVA after about {args.budget_s:.0f} s of training per variant on "
                               f"{device.device_kind}",
                      "note": "Produced by benchmarks/train_budget.py.",
                      "rows": [{"key": f, "label": config["families"][f]["label"], "methods": m}
                               for f, m in rows.items()]}
        table_config = cfg.deep_merge(config, {"v1_tables": {"budget": spec_table}})
        stages.run_table(table_config, "budget", metric_paths, out / "comparison")
        stages.run_training_cost(config, models, logs, out / "training_cost")
        if args.copy_to:
            args.copy_to.mkdir(parents=True, exist_ok=True)
            for name in ("comparison.md", "training_cost.md"):
                shutil.copy(out / name, args.copy_to / name)
        print((out / "comparison.md").read_text(), (out / "training_cost.md").read_text(), sep="\n", flush=True)


if __name__ == "__main__":
    main()
