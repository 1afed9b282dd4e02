"""Train Table 1's five ACTIVA v2 variants on one GPU within one wall-clock budget; write the models and logs.

    python3 benchmarks/gpu_table1.py --out DIR --train-s 400 [--check] [--networks resources/grn]
    (benchmarks/gpu_table1.sh: the same, with the wheels the GPU image lacks installed first)

For a single-GPU machine without Snakemake (v2 Table 1, models of v2 Table 3). Simulates the training splits of
gauss2, beta2, gauss8, beta8 and sergio at paper scale (``config/config.yaml``; ``--check``: the smoke config's
tiny splits and models), all at once in the background; compiles the five training programs at once (one
process per variant trains one chunk, into a persistent compilation cache: compiling took 50-90 s per variant
on an H100); then trains the variants one after another with the pipeline's own ``python -m activa train``, each
with a wall-clock budget and a cosine learning-rate schedule (``activa.variants.<v>.budget``). ``--train-s`` is
the whole run from simulation on: before each variant, what is left is shared among the variants not yet trained
by ``WEIGHTS``, less the start-up time measured on the variants before it.

Writes to ``--out`` (new or empty), after every variant, so a run stopped at its time limit keeps what it
finished: ``<variant>.msgpack`` (the model files) and ``logs.tar.gz`` (per variant: train_log.csv, loss.png,
the stage's stderr; simulate logs; the overlay config files; ``summary.json``: device, versions, per variant its
budget, steps, wall-clock, steps/s and final loss). Intermediate files (data, checkpoints) go to ``--work``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from stage_command import overlay, stage_command  # benchmarks/ is on sys.path when run as a script

VARIANTS = ("gauss2", "beta2", "gauss8", "beta8", "sergio")
# Share of the training time per variant: the eight-variable models cost 4x a two-variable step (85 vs 362 steps/s
# on an H200, benchmarks/results/h200_train_budget_2026-11-26.md) and are further from converged.
WEIGHTS = {"gauss2": 1.0, "beta2": 1.0, "gauss8": 2.0, "beta8": 2.0, "sergio": 1.5}
SCHEDULE = {"schedule": "cosine", "warmup": 0.05}  # every run's learning rate: 5% warm-up, cosine decay to 0
STARTUP_GUESS_S = 15.0  # process start, data load and (cached) compilation of one variant, until one is measured
# Compiling a variant's training step takes 50-90 s on an H100 (the check run): the variants' programs are compiled
# at once, in parallel processes that each train one chunk, into a persistent compilation cache that the
# budgeted runs then load.
CACHE_ENV = {"JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0", "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}


def pack(out: Path, logs: Path) -> None:
    """All logs into ``out/logs.tar.gz``, written atomically."""
    tmp = out / "logs.tar.gz.tmp"
    with tarfile.open(tmp, "w:gz") as tar:
        tar.add(logs, arcname="logs")
    tmp.replace(out / "logs.tar.gz")


def run_logged(command: list[str], log: Path, results: dict, key: str, env: dict | None = None) -> None:
    """Run a command, its output to ``log``; ``results[key]`` = (return code, seconds). Default: on the CPU."""
    start = time.perf_counter()
    with open(log, "w") as stream:
        returncode = subprocess.run(command, stdout=stream, stderr=subprocess.STDOUT,
                                    env={**os.environ, **(env or {"JAX_PLATFORMS": "cpu"})}).returncode
    results[key] = (returncode, time.perf_counter() - start)


def train_command(configs: list[Path], settings: Path, budget: dict, variant: str, steps_per_call: int, data: Path,
                  checkpoint: Path, model: Path, log_dir: Path) -> list[str]:
    """``python -m activa train`` of ``variant`` with ``budget`` and the cosine schedule (config file ``settings``)."""
    overlay(settings, {"activa": {
        "training": {"steps_per_call": steps_per_call, "checkpoint_every": steps_per_call * 10**6},
        "variants": {variant: {"budget": {**budget, **SCHEDULE}}}}})
    return stage_command("train", [*configs, settings], "--variant", variant, "--data", data, "--checkpoint", checkpoint,
                         "--out-model", model, "--out-log", log_dir / "train_log.csv",
                         "--out-figures", log_dir / "loss.png")


def environment() -> dict:
    import jax

    from activa.model.checkpoint import environment as versions

    return {**versions(), "n_devices": jax.device_count(), "cpu_count": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="models and logs.tar.gz (new or empty)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/gpu_table1"), help="data and checkpoints")
    parser.add_argument("--train-s", type=float, required=True, help="wall-clock seconds of the training phase")
    parser.add_argument("--networks", type=Path, default=Path("resources/grn"), help="the two GRN TSVs")
    parser.add_argument("--sergio-workers", type=int, default=8)
    parser.add_argument("--steps-per-call", type=int, default=200)
    parser.add_argument("--check", action="store_true", help="smoke-size data and models: a path and import check")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    args = parser.parse_args()
    out, work = args.out, args.work
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"--out {out}: not empty; give a new folder")
    if work.exists():
        shutil.rmtree(work)
    out.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(parents=True)
    (work / "models").mkdir()
    t0 = time.perf_counter()
    configs = [Path("config/config.yaml"), *([Path("config/smoke.yaml")] if args.check else [])]
    summary = {"command": " ".join(sys.argv), "train_s": args.train_s, "check": args.check,
               "environment": environment(), "variants": {}}
    print(f"{summary['environment']}", flush=True)

    # every training split at once, in the background (CPU); training waits for its own
    simulations, sim_results = {}, {}
    for variant in args.variants:
        base = work / "data" / variant / "train"
        base.parent.mkdir(parents=True, exist_ok=True)
        extra = ["--networks", args.networks, "--workers", args.sergio_workers] if variant == "sergio" else []
        command = stage_command("simulate", configs, "--family", variant, "--split", "train",
                                "--out-samples", base.with_suffix(".samples.parquet"),
                                "--out-scms", base.with_suffix(".scms.parquet"), *extra)
        simulations[variant] = threading.Thread(target=run_logged, args=(command, logs / f"simulate_{variant}.log",
                                                                       sim_results, variant))
        simulations[variant].start()

    os.environ.update({**CACHE_ENV, "JAX_COMPILATION_CACHE_DIR": str(work / "jax_cache")})
    precompile = {}
    for variant in args.variants:
        simulations[variant].join()
        if sim_results[variant][0]:
            raise SystemExit(f"simulate {variant} failed: {(logs / f'simulate_{variant}.log').read_text()[-2000:]}")
        pre = work / "precompile" / variant
        command = train_command(configs, logs / f"{variant}.precompile.yaml", {"steps": args.steps_per_call}, variant,
                                args.steps_per_call, work / "data" / variant / "train.samples.parquet",
                                pre / "checkpoint.msgpack", pre / "model.msgpack", pre)
        precompile[variant] = threading.Thread(target=run_logged, args=(
            command, logs / f"precompile_{variant}.log", sim_results, f"precompile {variant}",
            {"XLA_PYTHON_CLIENT_MEM_FRACTION": str(round(0.8 / len(args.variants), 3))}))
        precompile[variant].start()
    for variant in args.variants:
        precompile[variant].join()
        returncode, seconds = sim_results[f"precompile {variant}"]
        summary["variants"][variant] = {"simulate_s": round(sim_results[variant][1], 1),
                                        "precompile_s": round(seconds, 1), "precompile_ok": returncode == 0}
    print(f"[{time.perf_counter() - t0:6.1f} s] compiled: "
          f"{ {v: summary['variants'][v]['precompile_s'] for v in args.variants} }", flush=True)

    deadline = t0 + args.train_s
    startup = []  # measured seconds of each variant outside its training budget
    for i, variant in enumerate(args.variants):
        now = time.perf_counter()
        overhead = float(np.mean(startup)) if startup else STARTUP_GUESS_S
        rest = args.variants[i:]
        share = WEIGHTS[variant] / sum(WEIGHTS[v] for v in rest)
        seconds = max(2.0, (deadline - now - overhead * len(rest)) * share)
        model_dir, model_path = logs / variant, work / "models" / f"{variant}.msgpack"
        command = train_command(configs, logs / f"{variant}.config.yaml", {"seconds": round(seconds, 1)}, variant,
                                args.steps_per_call, work / "data" / variant / "train.samples.parquet",
                                work / "checkpoints" / f"{variant}.msgpack", model_path, model_dir)
        print(f"[{time.perf_counter() - t0:6.1f} s] train {variant}: budget {seconds:.1f} s", flush=True)
        start = time.perf_counter()
        model_dir.mkdir(parents=True, exist_ok=True)
        with open(model_dir / "train.log", "w") as stage_log:
            result = subprocess.run(command, stdout=stage_log, stderr=subprocess.STDOUT)
        wall = time.perf_counter() - start
        if result.returncode:
            summary["variants"][variant]["error"] = (model_dir / "train.log").read_text()[-3000:]
            (logs / "summary.json").write_text(json.dumps(summary, indent=1))
            pack(out, logs)
            raise SystemExit(f"train {variant} failed:\n{summary['variants'][variant]['error']}")
        train_log = pd.read_csv(model_dir / "train_log.csv")
        train_s = float((1.0 / train_log["steps_per_s"]).sum())  # time inside the compiled chunks
        chunk_rates = train_log["steps_per_s"].to_numpy()[args.steps_per_call::args.steps_per_call]  # not the first
        startup.append(wall - train_s)
        tail = train_log.iloc[-max(1, len(train_log) // 10):]
        summary["variants"][variant].update({
            "budget_s": round(seconds, 1), "wall_s": round(wall, 1), "train_s": round(train_s, 1),
            "startup_s": round(wall - train_s, 1), "steps": int(train_log["step"].iloc[-1]),
            "steps_per_s": round(float(np.median(chunk_rates)), 1) if len(chunk_rates) else None,
            "final_loss": round(float(tail["loss"].mean()), 4), "final_recon": round(float(tail["recon"].mean()), 4)})
        shutil.copy(model_path, out / f"{variant}.msgpack")
        (logs / "summary.json").write_text(json.dumps(summary, indent=1))
        pack(out, logs)
        print(f"[{time.perf_counter() - t0:6.1f} s] {variant}: {summary['variants'][variant]}", flush=True)
    summary["total_s"] = round(time.perf_counter() - t0, 1)
    (logs / "summary.json").write_text(json.dumps(summary, indent=1))
    pack(out, logs)
    print(f"{'variant':8s} {'steps':>7s} {'steps/s':>8s} {'train s':>8s} {'wall s':>7s} {'loss':>9s}")
    for variant, row in summary["variants"].items():
        print(f"{variant:8s} {row['steps']:7d} {row['steps_per_s'] or float('nan'):8.1f} {row['train_s']:8.1f} "
              f"{row['wall_s']:7.1f} {row['final_loss']:9.4g}")
    print(f"total {summary['total_s']} s", flush=True)


if __name__ == "__main__":
    main()
