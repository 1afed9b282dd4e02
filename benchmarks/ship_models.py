"""Ship the models of a ``gpu_table1.py`` run: copy them into ``models/`` and write ``models/manifest.json``.

    python benchmarks/ship_models.py --run DIR [--config config/config.yaml] [--to models] [--note TEXT]

``DIR`` holds what ``benchmarks/gpu_table1.py`` wrote: ``<variant>.msgpack`` and ``logs.tar.gz``. Each model goes
to ``<to>/v2/<variant>.msgpack`` with its training log as ``<to>/v2/<variant>.train_log.csv.gz`` (gzip without a
timestamp, so the same run ships the same bytes), and gets a manifest entry (``activa.model.shipped``): SHA-256
and size of both files, the model's architecture, model and training config, the training data (from
``--config``, the config the run used), steps, seconds and steps/s (from the run's ``summary.json``), device and
versions (from the model file), final loss and -log p per sample (means over the last 10% of steps).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import tarfile
from pathlib import Path

import pandas as pd

from activa import config as cfg
from activa.data.format import atomic_path, sha256
from activa.model.checkpoint import read_trained
from activa.model.shipped import FORMAT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--to", type=Path, default=Path("models"))
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    config = cfg.load_config(args.config or [Path("config/config.yaml")])
    with tarfile.open(args.run / "logs.tar.gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        summary = json.load(tar.extractfile(members["logs/summary.json"]))
        logs = {variant: tar.extractfile(members[f"logs/{variant}/train_log.csv"]).read()
                for variant in summary["variants"]}
    models = {}
    for variant, run in summary["variants"].items():
        meta, n_params = read_trained(args.run / f"{variant}.msgpack")
        model_path = args.to / "v2" / f"{variant}.msgpack"
        log_path = args.to / "v2" / f"{variant}.train_log.csv.gz"
        with atomic_path(model_path) as tmp:
            tmp.write_bytes((args.run / f"{variant}.msgpack").read_bytes())
        with atomic_path(log_path) as tmp:
            tmp.write_bytes(gzip.compress(logs[variant], compresslevel=9, mtime=0))
        log = pd.read_csv(io.BytesIO(logs[variant]))
        tail = log.iloc[-max(1, len(log) // 10):]
        family = config["families"][meta["family"]]
        models[variant] = {
            "file": str(model_path.relative_to(args.to)), "sha256": sha256(model_path),
            "bytes": model_path.stat().st_size,
            "train_log": str(log_path.relative_to(args.to)), "train_log_sha256": sha256(log_path),
            "architecture": meta["architecture"], "parameters": n_params, "model_config": meta["model_config"],
            "train_config": meta["train_config"],
            "training_data": {"family": meta["family"], "split": "train", "scms": family["splits"]["train"],
                              "samples_per_regime": family["samples_per_regime"], "seed": config["seed"],
                              "intervention_values": meta["intervention_values"]},
            "steps": meta["steps"], "train_s": run["train_s"], "wall_s": run["wall_s"],
            "steps_per_s": run["steps_per_s"], "device": meta["written_by"]["device"],
            "written_by": meta["written_by"], "final_loss": round(float(tail["loss"].mean()), 4),
            "final_nll_per_sample": round(float(tail["recon"].mean()), 4),
            "trained_by": summary["command"]}
    manifest = {"format": FORMAT, "note": args.note, "models": models}
    with atomic_path(args.to / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=False) + "\n")
    for variant, entry in models.items():
        print(f"{variant}: {entry['bytes']:,} bytes, {entry['steps']} steps in {entry['train_s']} s on "
              f"{entry['device']}, final loss {entry['final_loss']}")


if __name__ == "__main__":
    main()
