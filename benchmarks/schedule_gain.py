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

import jax
import numpy as np

from activa import config as cfg
from activa.data.simulate import simulate_split
from activa.model import architectures
from activa.model.train import TrainData, fit, loss_fn
from activa.model.variants import variant_configs


def held_out(params, model, data, beta: float, batch: int = 256) -> dict:
    """Mean loss terms over every (SCM, interventional regime) of ``data``, dropout off, one fixed latent key."""
    test = TrainData.from_samples(data)
    n_scm, n_int = test.samples.shape[0], test.int_regimes.shape[0]
    idx, r = np.repeat(np.arange(n_scm), n_int), np.tile(np.arange(n_int), n_scm)
    key = jax.random.key(0)
    evaluate = jax.jit(lambda p, o, i, t, v, k: loss_fn(p, model, o, i, t, v, k, beta, train=False))
    totals, n = {"loss": 0.0, "recon": 0.0, "kl": 0.0}, 0
    for start in range(0, len(idx), batch):
        b_idx, b_r = idx[start:start + batch], r[start:start + batch]
        loss, parts = evaluate(params, test.samples[b_idx, test.obs_regime], test.samples[b_idx, test.int_regimes[b_r]],
                               test.target[b_r], test.value_index[b_r], jax.random.fold_in(key, start))
        totals["loss"] += float(loss) * len(b_idx)
        totals["recon"] += float(parts["recon"]) * len(b_idx)
        totals["kl"] += float(parts["kl"]) * len(b_idx)
        n += len(b_idx)
    return {k: v / n for k, v in totals.items()}


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
            score = held_out(params, model, test, tcfg.beta)
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
