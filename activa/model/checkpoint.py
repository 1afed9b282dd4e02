"""Checkpoints and trained-model files: msgpack (flax.serialization) written atomically.

A checkpoint holds everything a killed run needs to continue the same run: parameters, optimiser state,
the step, the seed (the step's random key is fold_in(seed key, step)), the model and training config and the
per-step log so far. A model file holds the parameters and the model config only.
"""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

import jax
import numpy as np
from flax import serialization

from activa.data.format import DataError, atomic_path

FORMAT = "activa-checkpoint-1"


def environment() -> dict:
    """What writes a model file: Python and the numerical packages' versions, JAX's backend and device kind.

    Stored in every model file ("written_by"), so a table can say which machine and versions trained a model.
    """
    versions = {name: metadata.version(name) for name in ("jax", "jaxlib", "flax", "optax", "numpy")}
    return {"python": platform.python_version(), **versions, "backend": jax.default_backend(),
            "device": jax.devices()[0].device_kind}


def save(path: str | Path, tree: dict, meta: dict) -> None:
    """Write {"meta": json, "tree": state dict} atomically."""
    payload = {"format": FORMAT, "meta": json.dumps(meta, sort_keys=True), "tree": serialization.to_state_dict(tree)}
    with atomic_path(path) as tmp:
        tmp.write_bytes(serialization.msgpack_serialize(payload))


def load(path: str | Path, template: dict | None = None) -> tuple[dict, dict]:
    """Read a file written by ``save``: (tree restored onto ``template`` if given, else raw; meta)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    data = path.read_bytes()
    try:
        payload = serialization.msgpack_restore(data)
    except Exception as exc:  # msgpack's errors name neither the file nor what is wrong with it
        raise DataError(f"{path}: not a readable activa model or checkpoint file ({len(data):,} bytes; truncated or "
                        f"corrupted? msgpack: {exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise DataError(f"{path}: not an activa model or checkpoint file (format {found!r}, expected {FORMAT!r})")
    try:
        meta = json.loads(payload["meta"])
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: activa file without readable metadata ({exc!r}); corrupted?") from None
    tree = payload["tree"] if template is None else serialization.from_state_dict(template, payload["tree"])
    return tree, meta


def params_digest(tree: dict) -> str:
    """SHA-256 of a model file's parameters alone (their msgpack bytes): the same for two files whose metadata
    differ, e.g. a model and the same model with its inference setting."""
    import hashlib

    return hashlib.sha256(serialization.msgpack_serialize(serialization.to_state_dict(tree["params"]))).hexdigest()


def read_trained(path: str | Path) -> tuple[dict, int]:
    """(metadata, number of parameters) of a trained-model file; ``DataError`` if it is not one."""
    tree, meta = load(path)
    if "train_config" not in meta or "variant" not in meta:
        raise DataError(f"{path}: not a trained-model file (no train_config/variant in its metadata)")
    return meta, int(sum(np.size(x) for x in jax.tree.leaves(tree["params"])))
