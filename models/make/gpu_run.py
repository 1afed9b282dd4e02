"""Train ACTIVA variants concurrently on one GPU, warm-started from the shipped models: how ``models/`` is made.

    python3 models/make/gpu_run.py --out DIR --check            # check call: the main call's shapes, briefly
    python3 models/make/gpu_run.py --out DIR --train-s 480      # main call: train until 480 s after its start
    bash models/make/gpu_run.sh ...                             # the same on the GPU image (carried wheels first)
    python models/make/ship.py --run DIR                        # then, here: DIR's models into models/

For a single-GPU machine without Snakemake (the device machine). Every listed variant (default: v2 Table 1's five,
then v1 Table 5's seven) trains at once, each with the pipeline's own ``python -m activa train`` in its own process
(``--mode processes``; GPU memory taken as needed, each process capped at 2.7 / n of the card) or all in threads of one
process (``--mode threads``), each warm-started from its shipped model (``--init-from models``; a variant not
shipped starts from scratch) with the chosen precision, recipe and schedule and the shipped model's dropout rate
(Gauss 2 and Beta 2 ship dropout-free since the calibration work: they train on without dropout). Every variant
trains for the whole call: ``train --deadline`` re-plans its steps from its own rate so that its schedule ends at
the common deadline.

Start-up once. Training splits are simulated on all cores (SERGIO with ``--sim-workers`` processes) into ``--work``
(default ``.gpu_work/`` in the checkout, ignored by git), each variant compiling as soon as its split exists, into a
persistent compilation cache in ``--work``. On a machine that stays warm between calls the main call finds the
check call's splits and compiled programs there, so it starts training within seconds: the check call compiles
exactly the main call's programs (same config, splits, precision, recipe and chunk length; only the step
counts, run-time arguments of the compiled chunk, differ).

Check call (``--check``): phase ``all`` trains every variant for ``--check-train-s`` after its compilation, then
phase ``table1`` the Table 1 variants alone, so that the summary gives per-variant and aggregate steps/s and
TFLOP/s (XLA's FLOPs per step times steps/s) with 12 and with 5 variants sharing the card. Main call: one phase,
and the share of its wall-clock inside training steps.

Writes to ``--out`` (new or empty; at most 8 files, as the device tool brings back): ``models-<k>.tar`` (the model
files, split to stay under 15 MiB each) and ``logs.tar.gz`` (per variant its training log, loss curve and output;
the overlay config; ``summary.json``: device, versions, settings, per phase and variant its steps, steps/s,
seconds, FLOPs and share, and the aggregates). Prints a table at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[2]
TABLE1 = ("gauss2", "beta2", "gauss8", "beta8", "sergio")
V1_TABLE5 = ("v1_gaussian", "v1_beta", "v1_gaussian1", "v1_gaussian10", "v1_beta1", "v1_beta10", "v1_sergio")
# The recipe and schedule the GPU run uses (benchmarks/results/cpu_recipes_*_2026-12-01.md chose them).
RECIPE, SCHEDULE = "paper", {"schedule": "wsd", "warmup": 0.05, "decay": 0.2}
PACK_BYTES = 15 * 2**20  # one models-<k>.tar at most (the device tool brings back files of up to 16 MiB)
CACHE_ENV = {"JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0", "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}
CHILD_ENV = dict(os.environ)  # the training processes' environment (main() adds the compilation cache)


def stage(name: str, configs: list[Path], *args) -> list[str]:
    """Arguments of ``python -m activa <name>`` with the config files ``configs`` (merged in order)."""
    return [name, *(x for c in configs for x in ("--config", str(c))), "--no-progress", *map(str, args)]


def load_config(configs: list[Path]) -> dict:
    sys.path.insert(0, str(ROOT))
    from activa import config as cfg

    return cfg.load_config(configs)


def split_file(work: Path, config: dict, family: str) -> Path:
    """Where the training split of ``family`` lives in ``work``: named by a digest of what generates it."""
    spec = config["families"][family]
    key = hashlib.sha256(json.dumps([spec, config["seed"]], sort_keys=True).encode()).hexdigest()[:12]
    return work / "data" / f"{family}-{key}.train.samples.parquet"


def simulate(configs: list[Path], family: str, path: Path, sergio: bool, networks: Path, workers: int,
             log: Path, results: dict) -> None:
    """Simulate one training split into ``path`` (on the CPU), unless an earlier call left it there."""
    start = time.perf_counter()
    if path.exists():
        results[family] = (0, 0.0, "reused")
        return
    scms = path.with_name(path.name.replace(".samples.", ".scms."))
    extra = ["--networks", networks, "--workers", workers] if sergio else []
    command = [sys.executable, "-m", "activa", *stage("simulate", configs, "--family", family, "--split", "train",
                                                      "--out-samples", path, "--out-scms", scms, *extra)]
    with open(log, "w") as stream:
        code = subprocess.run(command, stdout=stream, stderr=subprocess.STDOUT, cwd=ROOT,
                              env={**os.environ, "JAX_PLATFORMS": "cpu"}).returncode
    results[family] = (code, time.perf_counter() - start, "simulated")


def shipped_init(manifest: Path, variant: str) -> tuple[Path | None, float | None]:
    """The shipped model file of ``variant`` (``manifest``'s entry) and its dropout rate, or (None, None)."""
    if not manifest.exists():
        return None, None
    models = json.loads(manifest.read_text())["models"]
    if variant not in models:
        return None, None
    return manifest.parent / models[variant]["file"], float(models[variant]["model_config"]["dropout"])


def train_args(configs: list[Path], variant: str, data: Path, out: Path, init: Path | None, budget: list) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    init_args = ["--init", init] if init is not None else []
    return stage("train", configs, "--variant", variant, "--data", data, "--checkpoint", out / "checkpoint.msgpack",
                 "--out-model", out / "model.msgpack", "--out-log", out / "train_log.csv",
                 "--out-figures", out / "loss.png", *init_args, *budget)


def run_phase(name: str, variants: list[str], args, configs: list[Path], data: dict, sims: dict, sim_results: dict,
              run_dir: Path, budget_of, t0: float) -> dict:
    """Train ``variants`` at once (each as soon as its split exists); per variant: return code and seconds."""
    phase_dir = run_dir / name
    launched, results, lock = {}, {}, threading.Lock()
    # memory taken as needed, each process capped at 3 x its even share: the variants' needs differ tenfold
    env = {**CHILD_ENV, "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
           "XLA_PYTHON_CLIENT_MEM_FRACTION": str(round(min(0.75, 3 * 0.9 / len(variants)), 3))}

    def one(variant: str) -> None:
        family = data[variant]["family"]
        sims[family].join()
        code, _, _ = sim_results[family]
        out = phase_dir / variant
        if code:
            with lock:
                results[variant] = {"returncode": code, "error": f"simulate {family} failed"}
            return
        command = train_args(configs, variant, data[variant]["path"], out, data[variant]["init"], budget_of(variant))
        start = time.perf_counter()
        with lock:
            launched[variant] = start - t0
        if args.mode == "processes":
            with open(out / "train.log", "w") as stream:
                code = subprocess.run([sys.executable, "-m", "activa", *command], stdout=stream,
                                      stderr=subprocess.STDOUT, cwd=ROOT, env=env).returncode
        else:
            from activa import cli

            code = cli.main(command)
        with lock:
            results[variant] = {"returncode": code, "launched_s": round(launched[variant], 1),
                                "wall_s": round(time.perf_counter() - start, 1)}

    threads = [threading.Thread(target=one, args=(v,)) for v in variants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {v: {**results[v], **measure(phase_dir / v)} for v in variants}


def measure(out: Path) -> dict:
    """What a finished training run's log and model file say: steps, rates, seconds, FLOPs per step.

    ``steps_per_s`` is the run's mean rate, its steps over its seconds inside training steps (the rate of the
    first chunk, or a median over chunks, misses how the rate changes as the other variants start and end).
    """
    log_path, model_path = out / "train_log.csv", out / "model.msgpack"
    if not (log_path.exists() and model_path.exists()):
        return {"steps": 0}
    from activa.model.checkpoint import read_trained

    log = pd.read_csv(log_path)
    meta, _ = read_trained(model_path)
    run = meta["lineage"][-1]
    flops = run["flops_per_step"] or float("nan")
    rate = len(log) / run["train_s"]
    return {"steps": int(len(log)), "total_steps": int(meta["total_steps"]), "train_s": run["train_s"],
            "device": meta["written_by"]["device"], "backend": meta["written_by"]["backend"],
            "fit_wall_s": run["wall_s"], "compile_s": run["compile_s"], "steps_per_s": round(rate, 2),
            "flops_per_step": flops, "tflops": round(flops * rate / 1e12, 3),
            "first_chunk_end": float(log["time"].iloc[0]), "last_chunk_end": float(log["time"].iloc[-1]),
            "final_loss": float(log["loss"].iloc[-max(1, len(log) // 10):].mean())}


def aggregate(phase: dict, deadline_wall: float | None, t0_unix: float) -> dict:
    """Steps/s and TFLOP/s of the variants together while all of them trained, and the share in training."""
    done = {v: r for v, r in phase.items() if r.get("steps")}
    if not done:
        return {}
    start = max(r["first_chunk_end"] for r in done.values())
    end = min(r["last_chunk_end"] for r in done.values())
    total_rate = sum(r["steps_per_s"] for r in done.values())
    total_tflops = sum(r["tflops"] for r in done.values() if np.isfinite(r["tflops"]))
    out = {"variants": len(done), "steps": int(sum(r["steps"] for r in done.values())),
           "overlap_s": round(max(0.0, end - start), 1), "steps_per_s": round(total_rate, 1),
           "tflops": round(total_tflops, 2)}
    if deadline_wall is not None:
        share = [r["train_s"] / deadline_wall for r in done.values()]
        out.update(call_s=round(deadline_wall, 1), train_share_mean=round(float(np.mean(share)), 3),
                   train_share_min=round(float(np.min(share)), 3))
    return out


def environment() -> dict:
    """This process's Python, packages and JAX device (in --mode processes the CPU: the GPU is the children's)."""
    from activa.model.checkpoint import environment as versions

    return {**versions(), "cpu_count": os.cpu_count()}


def latest(phases: dict) -> dict:
    """variant -> the last phase that trained it to the end (its model is the one to ship)."""
    return {v: name for name, phase in phases.items() for v, r in phase["variants"].items() if r.get("steps")}


def pack(out: Path, run_dir: Path, phases: dict) -> None:
    """Each variant's model of its latest phase into models-<k>.tar (each under PACK_BYTES), every log into
    logs.tar.gz."""
    models = [run_dir / name / variant / "model.msgpack" for variant, name in latest(phases).items()]
    groups, size = [[]], 0
    for path in models:
        if groups[-1] and size + path.stat().st_size > PACK_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(path)
        size += path.stat().st_size
    for k, group in enumerate(g for g in groups if g):
        tmp = out / f"models-{k + 1}.tar.tmp"
        with tarfile.open(tmp, "w") as tar:
            for path in group:
                tar.add(path, arcname=f"{path.parent.name}.msgpack")
        tmp.replace(out / f"models-{k + 1}.tar")
    tmp = out / "logs.tar.gz.tmp"
    with tarfile.open(tmp, "w:gz") as tar:
        for path in sorted(run_dir.rglob("*")):
            if path.is_file() and path.suffix != ".msgpack":
                tar.add(path, arcname=f"logs/{path.relative_to(run_dir)}")
    tmp.replace(out / "logs.tar.gz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="models-<k>.tar and logs.tar.gz (new or empty)")
    parser.add_argument("--work", type=Path, default=ROOT / ".gpu_work", help="splits and compilation cache")
    parser.add_argument("--config", action="append", type=Path, default=None, help="default config/config.yaml")
    parser.add_argument("--variants", nargs="+", default=[*TABLE1, *V1_TABLE5])
    parser.add_argument("--check", action="store_true", help="the check call (phases all, then table1)")
    parser.add_argument("--check-train-s", type=float, default=15.0, help="check: seconds each phase trains")
    parser.add_argument("--check-phases", nargs="+", default=["all", "table1"], choices=["all", "table1"])
    parser.add_argument("--train-s", type=float, default=480.0, help="main: the deadline, seconds after start")
    parser.add_argument("--precision", default="bfloat16", choices=["float32", "bfloat16"])
    parser.add_argument("--recipe", default=RECIPE, help="a key of activa.recipes")
    parser.add_argument("--schedule", default=SCHEDULE["schedule"], choices=["constant", "cosine", "linear", "wsd"])
    parser.add_argument("--warmup", type=float, default=SCHEDULE["warmup"])
    parser.add_argument("--decay", type=float, default=SCHEDULE["decay"])
    parser.add_argument("--init-from", type=Path, default=ROOT / "models" / "manifest.json",
                        help="warm-start each variant from this manifest's model of it")
    parser.add_argument("--no-init", action="store_true", help="train every variant from scratch")
    parser.add_argument("--sergio-pool", type=int, default=1, help="SERGIO splits of this many times the paper's")
    parser.add_argument("--mode", default="processes", choices=["processes", "threads"])
    parser.add_argument("--networks", type=Path, default=ROOT / "resources" / "grn", help="the two GRN TSVs")
    parser.add_argument("--sim-workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--steps-per-call", type=int, default=200)
    parser.add_argument("--xla-flags", default=None, help="XLA_FLAGS of the training processes (e.g. to try "
                                                         "--xla_gpu_enable_command_buffer=... in a check call)")
    args = parser.parse_args()
    t0, t0_unix = time.perf_counter(), time.time()
    out, work = args.out, args.work.resolve()
    args.work = work
    CHILD_ENV.update({**CACHE_ENV, "JAX_COMPILATION_CACHE_DIR": str(work / "jax_cache")})
    if args.xla_flags is not None:
        CHILD_ENV["XLA_FLAGS"] = args.xla_flags
    if args.mode == "processes":  # this process stays off the GPU, whose memory the training processes share
        os.environ["JAX_PLATFORMS"] = "cpu"
    else:  # the training threads run in this process: JAX reads these when it starts
        os.environ.update(CHILD_ENV)
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"--out {out}: not empty; give a new folder")
    out.mkdir(parents=True, exist_ok=True)
    run_dir = work / "runs" / f"{'check' if args.check else 'main'}-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir.mkdir(parents=True)
    base = [Path(c).resolve() for c in (args.config or [ROOT / "config" / "config.yaml"])]
    config = load_config(base)
    unknown = [v for v in args.variants if v not in config["activa"]["variants"]]
    if unknown:
        raise SystemExit(f"--variants: {unknown} are not in activa.variants")
    families = {v: config["activa"]["variants"][v]["train_on"] for v in args.variants}
    sergio = {f for f in families.values() if config["families"][f]["generator"] == "sergio"}
    overlay = {"activa": {"training": {"steps_per_call": args.steps_per_call,
                                       "checkpoint_every": args.steps_per_call * 10**6,
                                       "precision": args.precision, "recipe": args.recipe}},
               "families": {f: {"splits": {"train": config["families"][f]["splits"]["train"] * args.sergio_pool}}
                            for f in sergio}}
    schedule = {"schedule": args.schedule, "warmup": args.warmup, "decay": args.decay}
    overlay["activa"]["variants"] = {v: {"budget": {"seconds": args.check_train_s if args.check else args.train_s,
                                                    **schedule}} for v in args.variants}
    # a warm-started variant trains on with its shipped model's dropout rate: a model shipped dropout-free (the
    # calibration choice for Gauss 2 and Beta 2, docs/training.md) stays so, and the run ends as it was made
    manifest = None if args.no_init else args.init_from
    inits = {v: shipped_init(manifest, v) if manifest is not None else (None, None) for v in args.variants}
    for v, (_, dropout) in inits.items():
        if dropout is not None:
            overlay["activa"]["variants"][v]["dropout"] = dropout
    overlay_path = run_dir / "overlay.yaml"
    overlay_path.write_text(yaml.safe_dump(overlay, sort_keys=False))
    configs = [*base, overlay_path]
    config = load_config(configs)
    summary = {"command": " ".join(sys.argv), "check": args.check, "mode": args.mode, "xla_flags": args.xla_flags,
               "precision": args.precision,
               "recipe": {"name": args.recipe, **config["activa"]["recipes"][args.recipe]}, "schedule": schedule,
               "sergio_pool": args.sergio_pool, "steps_per_call": args.steps_per_call,
               "environment": environment(), "phases": {}}
    print(f"[{time.perf_counter() - t0:6.1f} s] {summary['environment']}, mode {args.mode}", flush=True)

    # every training split at once, in the background (CPU; SERGIO splits share the cores)
    data, sims, sim_results = {}, {}, {}
    (work / "data").mkdir(parents=True, exist_ok=True)
    for variant, family in families.items():
        path = split_file(work, config, family)
        data[variant] = {"family": family, "path": path, "init": inits[variant][0]}
        if family not in sims:
            workers = max(1, args.sim_workers // max(1, len(sergio)))
            sims[family] = threading.Thread(target=simulate, args=(
                configs, family, path, family in sergio, args.networks, workers, run_dir / f"simulate_{family}.log",
                sim_results))
            sims[family].start()
    summary["init"] = {v: (str(d["init"]) if d["init"] else None) for v, d in data.items()}
    summary["dropout"] = {v: config["activa"]["variants"][v]["dropout"] for v in args.variants}

    def write_summary():
        summary["simulate"] = {f: {"returncode": r[0], "seconds": round(r[1], 1), "how": r[2]}
                               for f, r in sim_results.items()}
        (run_dir / "summary.json").write_text(json.dumps(summary, indent=1))

    if args.check:
        phases = [("all", list(args.variants)), ("table1", [v for v in args.variants if v in TABLE1])]
        phases = [(name, vs) for name, vs in phases if name in args.check_phases and vs]
        for name, variants in phases:
            budget = lambda v: ["--train-seconds", args.check_train_s]  # noqa: E731
            started = time.perf_counter()
            result = run_phase(name, variants, args, configs, data, sims, sim_results, run_dir, budget, t0)
            summary["phases"][name] = {"variants": result, "aggregate": aggregate(result, None, t0_unix),
                                       "wall_s": round(time.perf_counter() - started, 1)}
            write_summary()
            print(f"[{time.perf_counter() - t0:6.1f} s] phase {name}: {summary['phases'][name]['aggregate']}",
                  flush=True)
    else:
        deadline = t0_unix + args.train_s
        result = run_phase("main", list(args.variants), args, configs, data, sims, sim_results, run_dir,
                           lambda v: ["--deadline", deadline], t0)
        summary["phases"]["main"] = {"variants": result,
                                     "aggregate": aggregate(result, time.perf_counter() - t0, t0_unix),
                                     "wall_s": round(time.perf_counter() - t0, 1)}
    summary["total_s"] = round(time.perf_counter() - t0, 1)
    summary["ship"] = latest(summary["phases"])
    write_summary()
    pack(out, run_dir, summary["phases"])
    print(table(summary), flush=True)
    failed = [f"{name}/{v}" for name, phase in summary["phases"].items() for v, r in phase["variants"].items()
              if r.get("returncode")]
    if failed:
        raise SystemExit(f"training failed: {failed}; their output is in logs.tar.gz ({run_dir})")


def table(summary: dict) -> str:
    lines = [f"{'phase':7s} {'variant':14s} {'steps':>7s} {'steps/s':>8s} {'GFLOP':>7s} {'TFLOP/s':>8s} "
             f"{'train s':>8s} {'launch s':>8s} {'total':>8s}"]
    for name, phase in summary["phases"].items():
        for variant, r in phase["variants"].items():
            if not r.get("steps"):
                lines.append(f"{name:7s} {variant:14s} failed ({r.get('returncode')})")
                continue
            lines.append(f"{name:7s} {variant:14s} {r['steps']:7d} {r['steps_per_s']:8.1f} "
                         f"{r['flops_per_step'] / 1e9:7.1f} {r['tflops']:8.2f} {r['train_s']:8.1f} "
                         f"{r.get('launched_s', 0):8.1f} {r['total_steps']:8d}")
        lines.append(f"{name:7s} all: {json.dumps(phase['aggregate'])}")
    lines.append(f"total {summary['total_s']} s")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
