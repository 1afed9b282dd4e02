"""Train ACTIVA variants for a fixed wall-clock budget each, then predict, score and tabulate them.

    python benchmarks/train_budget.py --variants gauss2 v1model_gauss2 --budget-s 120 --out /tmp/budget \
        [--config config/config.yaml ...] [--copy-to DIR]

For comparing architectures at equal training time (e.g. v1 against v2 on v2's data) on whatever device JAX
picks, without Snakemake (the GPU machines have none). Per variant: simulate its training and test splits
(paper scale unless the config says otherwise), time one compiled chunk of steps, set ``epochs`` so that the
run takes about ``--budget-s`` seconds at that rate, then run the pipeline's own stage commands
(``python -m activa <stage>``): train, predict (v2: method ``activa``; v1: the variant's name), baseline,
metrics; this run's settings reach the stages as config files under ``<out>/configs/``. Writes
``<out>/comparison.md`` (v1 layout: one row per data and method) and ``<out>/training_cost.md`` after every
variant, so a run cut short keeps what it finished; ``--copy-to`` copies both there too. ``--out`` must be
new or empty.
"""

from __future__ import annotations

import argparse
import copy
import math
import shutil
from pathlib import Path

import jax
from bench_train import steps_per_second  # benchmarks/ is on sys.path when run as a script
from stage_command import overlay, run_stage

from activa import config as cfg
from activa.data.format import read_samples
from activa.model.variants import variant_configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--variants", nargs="+", required=True)
    parser.add_argument("--budget-s", type=float, required=True, help="training seconds per variant")
    parser.add_argument("--bench-steps", type=int, default=10)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--copy-to", type=Path, default=None)
    args = parser.parse_args()
    configs = args.config or [Path("config/config.yaml")]
    config = copy.deepcopy(cfg.load_config(configs))
    out = args.out
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"--out {out}: not empty; give a new folder (files of an earlier run would be mixed in)")
    device = jax.devices()[0]
    print(f"jax {jax.__version__} on {device.platform}: {device.device_kind}", flush=True)
    inference = config["activa"]["inference"]
    rows, models, logs, metric_paths = {}, [], [], []  # only this invocation's files go into the tables
    for variant in args.variants:
        _, _, spec = variant_configs(config, variant)
        for family, split in [(spec["train_on"], "train"), *((f, "test") for f in spec["test_on"])]:
            base = out / "data" / family / split
            if not base.with_suffix(".samples.parquet").exists():
                run_stage("simulate", configs, "--family", family, "--split", split,
                          "--out-samples", base.with_suffix(".samples.parquet"),
                          "--out-scms", base.with_suffix(".scms.parquet"))
        train_path = out / "data" / spec["train_on"] / "train.samples.parquet"
        data = read_samples(train_path)
        rate, _, _ = steps_per_second(config, variant, data, args.bench_steps)
        steps_per_epoch = math.ceil(data.samples.shape[0] / spec["batch_size"])
        epochs = max(1, int(args.budget_s * rate / steps_per_epoch))
        run_configs = [*configs, overlay(out / "configs" / f"{variant}.yaml", {"activa": {
            "variants": {variant: {"epochs": epochs}},
            "training": {"steps_per_call": 100, "checkpoint_every": 100 * 10**6}}})]
        print(f"{variant}: {rate:.2f} steps/s -> {epochs} epochs = {epochs * steps_per_epoch} steps", flush=True)
        model_dir = out / "models" / variant
        run_stage("train", run_configs, "--variant", variant, "--data", train_path,
                  "--checkpoint", out / "checkpoints" / f"{variant}.msgpack", "--out-model", model_dir / "model.msgpack",
                  "--out-log", model_dir / "train_log.csv", "--out-figures", model_dir / "loss.png")
        models.append(model_dir / "model.msgpack")
        logs.append(model_dir / "train_log.csv")
        method, n_latents = ("activa", inference["methods"]["activa"]) if spec["architecture"] == "v2" \
            else (variant, inference["variant_methods"])
        for family in spec["test_on"]:
            test = out / "data" / family / "test.samples.parquet"
            for m in ("baseline", method):
                pred = out / "predictions" / m / f"{family}.parquet"
                if not pred.exists():
                    if m == "baseline":
                        run_stage("baseline", configs, "--family", family, "--data", test, "--out", pred)
                    else:
                        run_stage("predict", configs, "--method", m, "--model", model_dir / "model.msgpack",
                                  "--family", family, "--data", test, "--out", pred, "--n-latents", n_latents)
                metrics = out / "metrics" / m / f"{family}.parquet"
                if not metrics.exists():
                    run_stage("metrics", configs, "--family", family, "--method", m, "--truth", test, "--pred", pred,
                              "--out", metrics)
                if metrics not in metric_paths:
                    metric_paths.append(metrics)
            label = f"ACTIVA {spec['architecture']} ({variant}, {epochs} epochs)"
            rows.setdefault(family, {"baseline": "baseline"})[method] = label
        table = {"title": f"ACTIVA after about {args.budget_s:.0f} s of training per variant on {device.device_kind}",
                 "note": "Produced by benchmarks/train_budget.py.",
                 "rows": [{"key": f, "label": config["families"][f]["label"], "methods": m} for f, m in rows.items()]}
        run_stage("table", [*configs, overlay(out / "configs" / "budget_table.yaml", {"v1_tables": {"budget": table}})],
                  "--name", "budget", "--metrics", *metric_paths, "--out-prefix", out / "comparison")
        run_stage("training-cost", configs, "--models", *models, "--logs", *logs, "--out-prefix", out / "training_cost")
        if args.copy_to:
            args.copy_to.mkdir(parents=True, exist_ok=True)
            for name in ("comparison.md", "training_cost.md"):
                shutil.copy(out / name, args.copy_to / name)
        print((out / "comparison.md").read_text(), (out / "training_cost.md").read_text(), sep="\n", flush=True)


if __name__ == "__main__":
    main()
