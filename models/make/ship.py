"""Ship the models of a ``models/make/gpu_run.py`` run: into ``models/``, with ``models/manifest.json`` updated.

    python models/make/ship.py --run DIR [--to models] [--config config/config.yaml] [--note TEXT]
    python models/make/ship.py --trained VARIANT MODEL TRAIN_LOG [--trained ...] [--to models] [...]

``DIR`` holds what ``gpu_run.py`` wrote (``models-<k>.tar``, ``logs.tar.gz``). Each model of the run (its latest
phase: ``summary.json``'s ``ship``) goes to ``<to>/<architecture>/<variant>.msgpack`` with its training log as
``<to>/<architecture>/<variant>.train_log.csv.gz`` (gzip without a timestamp: the same run ships the same bytes),
and its manifest entry (``activa.model.shipped``) is replaced; the other entries stay as they are. ``--trained``
ships one model file of the ``train`` stage with its ``train_log.csv`` instead (e.g. a CPU fine-tune of
``finetune_cpu.py``, whose ``decision.json`` found it better than the shipped model).

A model warm-started from the shipped one (its last run's ``init_sha256`` is the entry's ``sha256``) continues
that entry: the lineage keeps the entry's records of the earlier runs (which may know more than the model file,
e.g. the date of a run from before lineages) and adds the new run, the training log is the shipped log followed
by the new one (steps numbered on), and ``steps`` and ``total_steps`` count every run. A model trained from
scratch starts a new lineage. Entry fields: SHA-256 and size of both files, architecture, parameters, model and
training config (of the last run), training data (family, SCMs of the last run, samples per regime, seed),
steps, lineage, seconds (over the runs), steps/s and device of the last run, package versions, final loss and
-log p per sample (last 10% of the last run). Then every shipped model's inference setting is chosen on its
validation split, as the pipeline chooses it (``select_inference.py``), and recorded in its file and entry.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
import tarfile
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from activa import config as cfg  # noqa: E402
from activa.data.format import atomic_path, sha256  # noqa: E402
from activa.model import lineage  # noqa: E402
from activa.model.checkpoint import read_trained  # noqa: E402
from activa.model.shipped import FORMAT  # noqa: E402


def read_run(run: Path) -> tuple[dict, dict[str, bytes], dict[str, bytes]]:
    """(summary, variant -> model file bytes, variant -> train_log.csv bytes) of a gpu_run.py output folder."""
    with tarfile.open(run / "logs.tar.gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        summary = json.load(tar.extractfile(members["logs/summary.json"]))
        logs = {v: tar.extractfile(members[f"logs/{phase}/{v}/train_log.csv"]).read()
                for v, phase in summary["ship"].items()}
    models = {}
    for archive in sorted(run.glob("models-*.tar")):
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                models[Path(member.name).stem] = tar.extractfile(member).read()
    missing = sorted(set(summary["ship"]) - set(models))
    if missing:
        raise SystemExit(f"{run}: no model file for {missing} in models-*.tar")
    return summary, models, logs


def continued(entry: dict | None, meta: dict) -> bool:
    """Whether the model continues the shipped ``entry``: its last run started from that file, or from an earlier
    version of it with the same parameters (``select_inference.py`` rewrites the metadata, and with it the SHA-256),
    which shows as the model's earlier runs being the entry's (steps and device, run by run)."""
    history = lineage.of(meta)
    if entry is None or history[-1].get("init_sha256") is None:
        return False
    runs = lambda records: [(r.get("steps"), r.get("device")) for r in records]  # noqa: E731
    return history[-1]["init_sha256"] == entry["sha256"] or runs(history[:-1]) == runs(entry["lineage"])


def ship_one(variant: str, model: bytes, log_csv: bytes, old: dict | None, old_folder: Path, to: Path,
             config: dict, tmp: Path) -> dict:
    tmp.write_bytes(model)
    meta, n_params = read_trained(tmp)
    history, log = lineage.of(meta), pd.read_csv(io.BytesIO(log_csv))
    new_log = log
    if continued(old, meta):
        earlier = old["lineage"]
        history = [*earlier, *history[len(earlier):]]
        shipped_log = pd.read_csv(old_folder / old["train_log"])
        log = log.assign(step=log["step"] + int(shipped_log["step"].iloc[-1]))
        log = pd.concat([shipped_log, log], ignore_index=True)
    model_path = to / meta["architecture"] / f"{variant}.msgpack"
    log_path = to / meta["architecture"] / f"{variant}.train_log.csv.gz"
    with atomic_path(model_path) as path:
        path.write_bytes(model)
    with atomic_path(log_path) as path:
        path.write_bytes(gzip.compress(log.to_csv(index=False).encode(), compresslevel=9, mtime=0))
    tail = new_log.iloc[-max(1, len(new_log) // 10):]
    family = config["families"][meta["family"]]
    last = history[-1]
    seconds = lambda key: round(sum(run[key] or 0.0 for run in history), 1)  # noqa: E731
    return {
        "file": str(model_path.relative_to(to)), "sha256": sha256(model_path), "bytes": model_path.stat().st_size,
        "train_log": str(log_path.relative_to(to)), "train_log_sha256": sha256(log_path),
        "architecture": meta["architecture"], "parameters": n_params, "model_config": meta["model_config"],
        "train_config": meta["train_config"],
        "training_data": {"family": meta["family"], "split": "train", "scms": last["training_data"]["scms"],
                          "samples_per_regime": family["samples_per_regime"], "seed": config["seed"],
                          "intervention_values": meta["intervention_values"]},
        "steps": lineage.total_steps(history), "total_steps": lineage.total_steps(history), "lineage": history,
        "train_s": seconds("train_s"), "wall_s": seconds("wall_s"),
        "steps_per_s": round(float(new_log["steps_per_s"].median()), 1), "device": meta["written_by"]["device"],
        "written_by": meta["written_by"], "final_loss": round(float(tail["loss"].mean()), 4),
        "final_nll_per_sample": round(float(tail["recon"].mean()), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=Path, help="a gpu_run.py output folder")
    source.add_argument("--trained", nargs=3, action="append", metavar=("VARIANT", "MODEL", "TRAIN_LOG"),
                        help="a trained model file and its training log (repeatable)")
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--to", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--note", default=None, help="the manifest's note (default: keep it)")
    parser.add_argument("--networks", type=Path, default=None, help="SERGIO's networks (default resources/grn)")
    args = parser.parse_args()
    configs = args.config or [Path(__file__).resolve().parents[2] / "config" / "config.yaml"]
    config = cfg.load_config(configs)
    manifest_path = args.to / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {
        "format": FORMAT, "note": "", "models": {}}
    if args.run is not None:
        summary, models, logs = read_run(args.run)
        variants = list(summary["ship"])
    else:
        variants = [variant for variant, _, _ in args.trained]
        models = {variant: Path(model).read_bytes() for variant, model, _ in args.trained}
        logs = {variant: Path(log).read_bytes() for variant, _, log in args.trained}
    with tempfile.TemporaryDirectory() as folder:
        for variant in variants:
            old = manifest["models"].get(variant)
            manifest["models"][variant] = ship_one(variant, models[variant], logs[variant], old, args.to, args.to,
                                                   config, Path(folder) / f"{variant}.msgpack")
            entry = manifest["models"][variant]
            print(f"{variant}: {entry['bytes']:,} bytes, {entry['total_steps']:,} steps in {len(entry['lineage'])} "
                  f"run(s), last on {entry['device']} ({entry['lineage'][-1]['precision']}, recipe "
                  f"{entry['lineage'][-1]['recipe']['name']}), final loss {entry['final_loss']}")
    if args.note is not None:
        manifest["note"] = args.note
    with atomic_path(manifest_path) as path:
        path.write_text(json.dumps(manifest, indent=1) + "\n")
    from select_inference import select

    with tempfile.TemporaryDirectory() as work:
        select(variants, args.to, configs, args.networks, Path(work))


if __name__ == "__main__":
    main()
