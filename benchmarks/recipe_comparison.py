"""Benchmark: training recipes at equal steps, scored on held-out SCMs by fit and by the causal effect.

    python benchmarks/recipe_comparison.py --variant gauss2 --steps 1000 --batch 64 --arms ARM ... --out FILE.md
    python benchmarks/recipe_comparison.py --variant gauss8 --init models/v2/gauss8.msgpack --steps 300 --batch 32 ...

An arm is ``data:schedule[:ema]``: data ``split`` (the configured training split, the papers' protocol),
``splitN`` (the first N SCMs of a split of N, so that the run sees it many times, as a long GPU run sees the
paper's split) or ``fresh`` (new SCMs for every batch, drawn on the device); schedule ``constant`` (the papers'),
``cosine`` or ``wsd`` (5% warm-up; wsd decays over the last 20%); ``ema`` keeps a moving average of the weights
(decay ``--ema``) and scores it. Every arm trains ``--variant`` (config/config.yaml + config/quick.yaml unless
``--config``) for the same ``--steps`` at ``--batch`` from the same seed (``--init``: warm-started from a model
file, fresh optimiser), then is scored on ``--test-scms`` SCMs of the family's test stream, the same for every arm:

- held-out -log p per sample as the model predicts (dropout off; mean over datasets, and median), and as it
  trains (dropout on: the eight-variable models' covariances collapse without it, docs/training.md);
- the mean absolute error of the predicted interventional means (50 latents per query, N samples) on the
  target's descendants and on its non-descendants against the closed-form means (``activa.eval.effects``);
- 95% bootstrap intervals over test SCMs (2,000 resamples), and for each arm the paired difference to the first
  arm on the same SCMs with its interval.

Writes a Markdown report (``--out``) and a CSV of the same rows beside it; prints each arm as it finishes.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from activa import config as cfg
from activa.data.format import SCMTable
from activa.data.scm import seed_sequence
from activa.data.simulate import simulate_split
from activa.eval.effects import closed_form, per_scm_errors
from activa.eval.intervals import bootstrap_interval
from activa.model import architectures, checkpoint
from activa.model.inference import predict_split
from activa.model.train import fit, held_out_loss
from activa.model.variants import variant_configs

REPLICATES, LEVEL = 2000, 0.95


def parse_arm(arm: str) -> dict:
    parts = arm.split(":")
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "ema"):
        raise SystemExit(f"arm {arm!r}: expected data:schedule[:ema], e.g. split:constant or fresh:wsd:ema")
    data, schedule = parts[:2]
    if not (data in ("split", "fresh") or (data.startswith("split") and data[5:].isdigit())):
        raise SystemExit(f"arm {arm!r}: data must be split, splitN or fresh")
    if schedule not in ("constant", "cosine", "wsd"):
        raise SystemExit(f"arm {arm!r}: schedule must be constant, cosine or wsd")
    return {"arm": arm, "data": data, "schedule": schedule, "ema": len(parts) == 3}


def scm_table(params) -> SCMTable:
    return SCMTable(params.adjacency.astype(np.uint8), params.weights, params.noise_params,
                    {"noise_family": params.noise_family})


def score(params, model, test, scms, beta, seed) -> dict:
    """Per-SCM arrays of one trained model on the held-out SCMs: nll [S], and (sums, counts) of the effect errors."""
    from activa.model.train import TrainData

    nll_items = held_out_loss(params, model, test, beta, items=True)
    trained_fit = held_out_loss(params, model, test, beta, dropout=True)["recon"]
    n_int = TrainData.from_samples(test).int_regimes.shape[0]
    pred = predict_split(params, model, test, n_latents=50, seed=seed, batch_size=256)
    return {"nll": nll_items.reshape(-1, n_int).mean(axis=1), "nll_items": nll_items, "nll_dropout": trained_fit,
            **per_scm_errors(closed_form(scms, test), pred)}


def ratio_interval(sums, counts, seed) -> tuple[float, float, float]:
    """Pooled mean sum/count and its bootstrap interval, resampling SCMs."""
    lo, hi = bootstrap_interval(sums, REPLICATES, LEVEL, seed, counts=counts)
    return float(sums.sum() / max(counts.sum(), 1)), lo, hi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--variant", default="gauss2")
    parser.add_argument("--init", type=Path, default=None, help="warm start from this model file")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--ema", type=float, default=0.999)
    parser.add_argument("--test-scms", type=int, default=300)
    parser.add_argument("--arms", nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    arms = [parse_arm(a) for a in args.arms]
    configs = args.config or [Path("config/config.yaml"), Path("config/quick.yaml")]
    config = cfg.load_config(configs)
    model_cfg, tcfg, spec = variant_configs(config, args.variant)
    family = spec["train_on"]
    _, train = simulate_split(config, family, "train", progress=False)
    train.meta.update(config=cfg.family(config, family), seed=config["seed"], family=family)
    test_config = cfg.deep_merge(config, {"families": {family: {"splits": {"test": args.test_scms}}}})
    test_params, test = simulate_split(test_config, family, "test", progress=False)
    test.meta.update(intervention_values=cfg.family(config, family)["intervention_values"])
    scms = scm_table(test_params)
    init = None
    if args.init is not None:
        tree, meta = checkpoint.load(args.init)
        init = (tree["params"], {"file": args.init.name, "steps": meta.get("steps")})
    model = architectures.build(model_cfg)
    base = dict(batch_size=args.batch, budget_steps=args.steps, steps_per_call=50, checkpoint_every=10**9,
                seed=args.seed, decay=0.2)
    header = (f"Variant {args.variant} ({', '.join(map(str, configs))}), {'warm-started from ' + str(args.init) if init else 'from scratch'}: "
              f"{args.steps} steps at batch {args.batch}, lr {tcfg.lr}, seed {args.seed}; training split "
              f"{train.samples.shape[0]:,} SCMs ({args.steps * args.batch / train.samples.shape[0]:.1f} epochs); "
              f"held out: {args.test_scms} SCMs of the {family} test stream. 95% bootstrap intervals over test SCMs "
              f"({REPLICATES} resamples); Δ: paired difference to the first arm on the same SCMs (negative: better).")
    print(header, flush=True)
    rows, first = [], None
    for i, arm in enumerate(arms):
        data = train
        if arm["data"].startswith("split") and arm["data"] != "split":
            n = int(arm["data"][5:])
            data = train.select_scms(slice(n))
        run = dataclasses.replace(tcfg, **base, data="fresh" if arm["data"] == "fresh" else "split",
                                  schedule=arm["schedule"], warmup=0.0 if arm["schedule"] == "constant" else 0.05,
                                  ema=args.ema if arm["ema"] else None)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            params, log = fit(data, model_cfg, run, Path(tmp) / "ckpt.msgpack", progress=False, init=init)
        train_s = time.perf_counter() - start
        result = score(params, model, test, scms, tcfg.beta, seed=args.seed)
        if first is None:
            first = result
        seed = seed_sequence(args.seed, "recipe_comparison", arm["arm"])
        row = {"arm": arm["arm"], "epochs": math.inf if arm["data"] == "fresh" else
               args.steps * args.batch / data.samples.shape[0],
               "train_loss": float(log["loss"].iloc[-max(1, len(log) // 10):].mean()),
               "nonfinite": int(log["nonfinite"].sum()), "train_s": round(train_s, 1),
               "nll_median": float(np.median(result["nll_items"])), "nll_dropout": result["nll_dropout"]}
        nll = result["nll"]
        row["nll"] = float(nll.mean())
        row["nll_lo"], row["nll_hi"] = bootstrap_interval(nll, REPLICATES, LEVEL, seed)
        row["nll_diff"] = float((nll - first["nll"]).mean())
        row["nll_diff_lo"], row["nll_diff_hi"] = bootstrap_interval(nll - first["nll"], REPLICATES, LEVEL, seed)
        for relation, key in (("descendant", "desc"), ("non-descendant", "nondesc")):
            sums, counts = result[relation]
            row[key], row[f"{key}_lo"], row[f"{key}_hi"] = ratio_interval(sums, counts, seed)
            diff = sums - first[relation][0]
            mean, lo, hi = ratio_interval(diff, counts, seed)
            row[f"{key}_diff"], row[f"{key}_diff_lo"], row[f"{key}_diff_hi"] = mean, lo, hi
        rows.append(row)
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
        write(args.out, header, rows)


def write(out: Path, header: str, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    frame.to_csv(out.with_suffix(".csv"), index=False)
    lines = [header, "", "| Arm | Epochs | Train loss | Held-out -log p / sample (Δ) | median | dropout on "
             "| Descendants' mean error (Δ) | Non-descendants' (Δ) |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        epochs = "fresh" if math.isinf(r["epochs"]) else f"{r['epochs']:.1f}"
        cell = lambda k: (f"{r[k]:.3f} [{r[k + '_lo']:.3f}, {r[k + '_hi']:.3f}] "
                          f"({r[k + '_diff']:+.3f} [{r[k + '_diff_lo']:+.3f}, {r[k + '_diff_hi']:+.3f}])")
        dropout = f"{r['nll_dropout']:.3f}" if np.isfinite(r.get("nll_dropout", np.nan)) else "–"
        lines.append(f"| {r['arm']} | {epochs} | {r['train_loss']:.3f} | {cell('nll')} | {r['nll_median']:.3f} "
                     f"| {dropout} | {cell('desc')} | {cell('nondesc')} |")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
