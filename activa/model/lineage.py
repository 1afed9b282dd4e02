"""A trained model's lineage: every training run its parameters went through, oldest first.

A model trained from scratch has one run; ``train --init MODEL`` continues MODEL's lineage with one more. Each
run records its steps, batch, training data, precision, recipe and schedule, device, date, wall-clock and time
inside the training steps, and XLA's FLOPs per step. Model files written before lineages existed get one run
built from their metadata (``legacy``), with what they did not record (date, times) as None;
``models/make/ship.py`` fills those in from the manifest that shipped them.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone

import numpy as np


def _recipe(tcfg: dict) -> dict:
    return {"name": tcfg.get("recipe", "paper"), "data": tcfg.get("data", "split"), "ema": tcfg.get("ema")}


def _schedule(tcfg: dict) -> dict:
    return {key: tcfg.get(key) for key in ("schedule", "warmup", "decay", "budget_steps", "budget_seconds",
                                           "epochs", "lr")}


def entry(train_cfg, log, wall_s: float, info: dict, samples, init_sha256: str | None) -> dict:
    """The record of one finished run: ``train_cfg`` (TrainConfig), its per-step log, the wall-clock of the whole
    fit, ``fit``'s info (XLA's FLOPs per step, seconds to compile the step or load it from the cache), the training
    Samples and the SHA-256 of the model it started from (or None)."""
    flops_per_step = info.get("flops_per_step", float("nan"))
    from activa.model.checkpoint import environment

    tcfg, env = asdict(train_cfg), environment()
    scms = "fresh" if tcfg["data"] == "fresh" else int(samples.samples.shape[0])
    return {"steps": int(len(log)), "batch_size": tcfg["batch_size"], "regimes": tcfg["regimes"],
            "training_data": {"family": samples.meta.get("family"), "scms": scms},
            "precision": tcfg["precision"], "recipe": _recipe(tcfg), "schedule": _schedule(tcfg),
            "device": env["device"], "backend": env["backend"],
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "wall_s": round(float(wall_s), 1),
            "train_s": round(float((1.0 / np.asarray(log["steps_per_s"])).sum()), 1) if len(log) else 0.0,
            "compile_s": round(float(info.get("compile_s", 0.0)), 1),
            "flops_per_step": None if not np.isfinite(flops_per_step) else float(flops_per_step),
            "init_sha256": init_sha256}


def legacy(meta: dict) -> dict:
    """One run built from the metadata of a model file written before lineages were recorded."""
    tcfg = meta["train_config"]
    return {"steps": int(meta["steps"]), "batch_size": tcfg["batch_size"], "regimes": tcfg.get("regimes", "one"),
            "training_data": {"family": meta.get("family"), "scms": None}, "precision": tcfg.get("precision",
                                                                                                 "float32"),
            "recipe": _recipe(tcfg), "schedule": _schedule(tcfg),
            "device": meta.get("written_by", {}).get("device"), "backend": meta.get("written_by", {}).get("backend"),
            "date": None, "wall_s": None, "train_s": None, "compile_s": None, "flops_per_step": None,
            "init_sha256": None}


def of(meta: dict) -> list[dict]:
    """The lineage of a trained model from its file's metadata."""
    return list(meta["lineage"]) if "lineage" in meta else [legacy(meta)]


def total_steps(history: list[dict]) -> int:
    return int(sum(run["steps"] for run in history))


def describe(history: list[dict]) -> str:
    """One line: each run's steps, batch, precision, recipe, device and date, and the total over the runs."""
    parts = [f"{run['steps']:,} steps at batch {run['batch_size']} in {run['precision']}, recipe "
             f"{run['recipe']['name']}, on {run['device'] or 'an unrecorded device'}"
             + (f" ({run['date'][:10]})" if run.get("date") else "") for run in history]
    if len(parts) == 1:
        return parts[0]
    return f"{total_steps(history):,} steps in {len(parts)} runs: " + "; then ".join(parts)
