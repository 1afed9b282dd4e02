"""A dropout-free fine-tune of a shipped model on the CPU, scored on its validation split beside the shipped one.

    python models/make/finetune_cpu.py --variant sergio --seconds 1500 [--lr 1e-4] [--batch-size 64]
                                       [--out results/finetune] [--config config/config.yaml]

The shipped models were trained with dropout 0.1 and predict with a network they were never trained as (dropout
off is Flax's weight-scaling approximation), which is one reason their spread is wrong (issue: calibrated
predictions). This trains the shipped model further with dropout 0, so that the network that predicts is the one
trained: the ``train`` stage warm-started from ``models/<arch>/<variant>.msgpack`` (``--init``; fresh optimiser),
on the paper-scale training split, with a cosine schedule over about ``--seconds`` of training (``budget``). Its
lineage records the run with this machine's device (a CPU run). Then the ``select-inference`` stage scores its
candidate settings on the validation split, and the script prints its candidates beside the shipped model's
(stored in its file by ``select_inference.py``), and sets the two models, each with its chosen setting, against
each other on the validation queries (the same draws' stream): the fine-tune would replace the shipped model only if
a paired one-sided Wilcoxon test over validation SCMs finds its energy score lower at ``activa.inference.select.
alpha``. Writes ``<out>/<variant>/``: ``trained.msgpack``, ``train_log.csv``, the loss curve, ``model.msgpack``
(with its setting), ``inference.csv``, ``comparison.csv``, ``decision.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from activa import config as cfg  # noqa: E402
from activa.model import checkpoint  # noqa: E402
from stage_command import overlay, run_stage  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", required=True)
    parser.add_argument("--seconds", type=float, required=True, help="training time (the budget)")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "finetune")
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--networks", type=Path, default=ROOT / "resources" / "grn")
    args = parser.parse_args()
    out = args.out / args.variant
    out.mkdir(parents=True, exist_ok=True)
    base = args.config or [ROOT / "config" / "config.yaml"]
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())["models"]
    shipped = ROOT / "models" / manifest[args.variant]["file"]
    settings = {"activa": {"variants": {args.variant: {
        "dropout": 0.0, "lr": args.lr, "batch_size": args.batch_size,
        "budget": {"seconds": args.seconds, "schedule": "cosine", "warmup": 0.05}}}}}
    configs = [*base, overlay(out / "finetune.yaml", settings)]
    config = cfg.load_config(configs)
    family = config["activa"]["variants"][args.variant]["train_on"]
    extra = ["--networks", args.networks] if cfg.family(config, family)["generator"] == "sergio" else []
    for split in ("train", "validation"):
        if not (out / f"{split}.samples.parquet").exists():
            run_stage("simulate", configs, "--family", family, "--split", split, "--out-samples",
                      out / f"{split}.samples.parquet", "--out-scms", out / f"{split}.scms.parquet", *extra)
    if not (out / "trained.msgpack").exists():
        run_stage("train", configs, "--variant", args.variant, "--data", out / "train.samples.parquet", "--init",
                  shipped, "--checkpoint", out / "checkpoint.msgpack", "--out-model", out / "trained.msgpack",
                  "--out-log", out / "train_log.csv", "--out-figures", out / "loss.png", out / "loss.pdf")
    inference = config["activa"]["inference"]
    n_latents = inference["methods"]["activa"] if config["activa"]["variants"][args.variant]["architecture"] == "v2" \
        else inference["variant_methods"]
    run_stage("select-inference", configs, "--model", out / "trained.msgpack", "--data",
              out / "validation.samples.parquet", "--n-latents", n_latents, "--out-model", out / "model.msgpack",
              "--out-table", out / "inference.csv")
    _, meta = checkpoint.load(shipped)
    if "inference" not in meta:
        raise SystemExit(f"{shipped}: no inference candidates stored; run models/make/select_inference.py first")
    table = pd.concat([pd.DataFrame(meta["inference"]["candidates"]).assign(model="shipped"),
                       pd.read_csv(out / "inference.csv").assign(model="dropout-free fine-tune")], ignore_index=True)
    table.to_csv(out / "comparison.csv", index=False)
    decision = against_shipped(shipped, out, config, args.variant, n_latents)
    (out / "decision.json").write_text(json.dumps(decision, indent=1) + "\n")
    log = pd.read_csv(out / "train_log.csv")
    print(f"{args.variant}: fine-tuned {len(log)} steps at batch {args.batch_size}, lr {args.lr} (cosine), "
          f"{(1 / log['steps_per_s']).sum():.0f} s in the training steps")
    print(table[["model", "name", "energy_score", "energy_score_lo", "energy_score_hi", "p_vs_default",
                 "spread_ratio_other", "coverage50", "coverage90", "chosen"]].round(4).to_string(index=False))
    print(f"each with its chosen setting, mean validation energy score: shipped {decision['shipped']:.4f}, fine-tune "
          f"{decision['fine_tune']:.4f}; one-sided Wilcoxon p (fine-tune lower) = {decision['p']:.3g}: "
          f"{'the fine-tune is better' if decision['better'] else 'the shipped model stays'}")


def against_shipped(shipped: Path, out: Path, config: dict, variant: str, n_latents: int) -> dict:
    """The shipped model and the fine-tune, each with its chosen setting, on the validation queries (the same
    predict seed): mean energy scores and the one-sided Wilcoxon p-value, paired by SCM, of the fine-tune's being
    lower."""
    from activa.data.format import read_samples
    from activa.eval import intervals, selection
    from activa.eval.metrics import energy_score
    from activa.model.api import TrainedModel
    from activa.model.inference import predict_queries, predict_seed, split_queries

    validation = read_samples(out / "validation.samples.parquet")
    obs, target, value_index = split_queries(validation)
    x = selection.truth_pairs(validation)
    scm = np.repeat(validation.scm, len(validation.interventional))
    inference = config["activa"]["inference"]
    scores = {}
    for name, path in (("shipped", shipped), ("fine_tune", out / "model.msgpack")):
        model = TrainedModel.load(path)
        y = predict_queries(model.params, model.module, obs, target, value_index, n_latents=n_latents,
                            n_samples=x.shape[1], seed=predict_seed(config["seed"], "validation", variant),
                            batch_size=inference["batch_size"], setting=model.setting)
        scores[name] = pd.Series(energy_score(x, y.astype(np.float64))).groupby(scm).mean()
    p, shift = intervals.wilcoxon_less(scores["fine_tune"], scores["shipped"])
    return {"shipped": float(scores["shipped"].mean()), "fine_tune": float(scores["fine_tune"].mean()), "p": p,
            "better": bool(p < inference["select"]["alpha"] and shift < 0)}


if __name__ == "__main__":
    main()
