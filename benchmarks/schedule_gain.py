"""Benchmark: what the budget's learning-rate schedule gains over the papers' constant rate, at equal steps.

    python benchmarks/schedule_gain.py [--config config/config.yaml --config config/quick.yaml] [--seeds 42 43 44]
        [--variant gauss2] [--schedules constant cosine] [--test-scms 1000] [--out FILE.md]

Trains ``--variant`` (default: the quick run's Gauss 2, 15 epochs at batch 64 = 2,115 steps) once per seed and
schedule, with the same number of steps (``budget.steps``); ``constant`` is the papers' rate, ``cosine`` warms up
over 5% of the steps and decays to 0. Scores each model by its loss on the family's test split (held out; every
interventional regime of the first ``--test-scms`` SCMs, dropout off, one latent draw with a fixed key): -log p
per sample, KL, and the loss. Prints a Markdown table (per run, then mean and standard deviation per schedule,
and the mean paired difference) and writes it to ``--out`` if given.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import tempfile
from pathlib import Path

import numpy as np

from activa import config as cfg
from activa.data.simulate import simulate_split
from activa.model import architectures
from activa.model.train import fit, held_out_loss
from activa.model.variants import variant_configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--variant", default="gauss2")
    parser.add_argument("--seeds", nargs="+", type=int, default=[42, 43, 44])
    parser.add_argument("--schedules", nargs="+", default=["constant", "cosine"])
    parser.add_argument("--test-scms", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    configs = args.config or [Path("config/config.yaml"), Path("config/quick.yaml")]
    config = cfg.load_config(configs)
    model_cfg, tcfg, spec = variant_configs(config, args.variant)
    family = spec["train_on"]
    _, train = simulate_split(config, family, "train", progress=False)
    _, test = simulate_split(cfg.deep_merge(config, {"families": {family: {"splits": {"test": args.test_scms}}}}),
                             family, "test", progress=False)
    steps = tcfg.epochs * math.ceil(train.samples.shape[0] / tcfg.batch_size)
    model = architectures.build(model_cfg)
    lines = [f"Variant {args.variant} ({', '.join(map(str, configs))}): {steps} steps at batch {tcfg.batch_size}, "
             f"lr {tcfg.lr}; held-out: {test.samples.shape[0]} test SCMs of {family}, every interventional regime.",
             "", "| Schedule | Seed | Train loss (last 10%) | Held-out loss | Held-out -log p / sample | Held-out KL |",
             "|---|---:|---:|---:|---:|---:|"]
    results = {s: [] for s in args.schedules}
    for seed in args.seeds:
        for schedule in args.schedules:
            run_cfg = dataclasses.replace(tcfg, seed=seed, budget_steps=steps, schedule=schedule,
                                          warmup=0.0 if schedule == "constant" else 0.05)
            with tempfile.TemporaryDirectory() as tmp:
                params, log = fit(train, model_cfg, run_cfg, Path(tmp) / "ckpt.msgpack", progress=False)
            score = held_out_loss(params, model, test, tcfg.beta)
            train_loss = float(log["loss"].iloc[-max(1, len(log) // 10):].mean())
            results[schedule].append(score)
            lines.append(f"| {schedule} | {seed} | {train_loss:.3f} | {score['loss']:.3f} | {score['recon']:.4f} | "
                         f"{score['kl']:.3f} |")
            print(lines[-1], flush=True)
    lines += ["", "| Schedule | Held-out -log p / sample, mean ± sd | Held-out loss, mean ± sd |", "|---|---:|---:|"]
    for schedule, scores in results.items():
        recon, loss = np.array([s["recon"] for s in scores]), np.array([s["loss"] for s in scores])
        lines.append(f"| {schedule} | {recon.mean():.4f} ± {recon.std(ddof=1) if len(recon) > 1 else 0:.4f} | "
                     f"{loss.mean():.3f} ± {loss.std(ddof=1) if len(loss) > 1 else 0:.3f} |")
    if len(args.schedules) == 2:
        a, b = args.schedules
        diff = np.array([y["recon"] - x["recon"] for x, y in zip(results[a], results[b])])
        lines.append(f"\nPaired difference {b} - {a} in held-out -log p per sample (same seed): mean "
                     f"{diff.mean():+.4f}, per seed {', '.join(f'{d:+.4f}' for d in diff)}.")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
