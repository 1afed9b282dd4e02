"""Checkpoints and trained-model files: msgpack (flax.serialization) written atomically, with a checksum.

A checkpoint holds everything a killed run needs to continue the same run: parameters, optimiser state,
the step, the seed (the step's random key is fold_in(seed key, step)), the model and training config and the
per-step log so far. A model file holds the parameters and the model config only.

Format ``activa-checkpoint-2``: a msgpack map {"format", "sha256", "body"}, ``body`` the msgpack bytes of
{"meta": JSON text, "tree": state dict} and ``sha256`` their hex SHA-256, which ``load`` checks before it reads the
body: a changed byte anywhere is refused, not loaded as other parameters. Files of format ``activa-checkpoint-1``
(the body's map at the top, no checksum; activa before 2026-12-06) are still read, with a warning; ``upgrade``
rewrites one in the current format.
"""

from __future__ import annotations

import hashlib
import json
import platform
import warnings
from importlib import metadata
from pathlib import Path

import jax
import numpy as np
from flax import serialization

from activa.data.format import DataError, atomic_path

FORMAT = "activa-checkpoint-2"
LEGACY = "activa-checkpoint-1"


def environment() -> dict:
    """What writes a model file: Python and the numerical packages' versions, JAX's backend and device kind.

    Stored in every model file ("written_by"), so a table can say which machine and versions trained a model.
    """
    versions = {name: metadata.version(name) for name in ("jax", "jaxlib", "flax", "optax", "numpy")}
    return {"python": platform.python_version(), **versions, "backend": jax.default_backend(),
            "device": jax.devices()[0].device_kind}


def _encode(tree: dict, meta: dict) -> bytes:
    body = serialization.msgpack_serialize({"meta": json.dumps(meta, sort_keys=True),
                                            "tree": serialization.to_state_dict(tree)})
    return serialization.msgpack_serialize({"format": FORMAT, "sha256": hashlib.sha256(body).hexdigest(), "body": body})


def save(path: str | Path, tree: dict, meta: dict) -> None:
    """Write ``tree`` and ``meta`` (JSON-able) atomically, in format ``FORMAT`` (the module docstring)."""
    data = _encode(tree, meta)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _restore(path: Path, data: bytes, what: str):
    try:
        return serialization.msgpack_restore(data)
    except Exception as exc:  # msgpack's errors name neither the file nor what is wrong with it
        raise DataError(f"{path}: not a readable activa model or checkpoint file ({len(data):,} bytes; truncated or "
                        f"corrupted? msgpack, {what}: {exc})") from None


def load(path: str | Path, template: dict | None = None) -> tuple[dict, dict]:
    """Read a file written by ``save``: (tree restored onto ``template`` if given, else raw; meta). ``DataError``
    naming the file if it is not one, or if its content's SHA-256 differs from the one it carries."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    if path.is_dir():
        raise DataError(f"{path}: a folder; expected an activa model or checkpoint file")
    data = path.read_bytes()
    payload = _restore(path, data, "header")
    found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
    if found == FORMAT:
        body = payload.get("body")
        if not isinstance(body, bytes) or hashlib.sha256(body).hexdigest() != payload.get("sha256"):
            raise DataError(f"{path}: content does not match its SHA-256 checksum ({len(data):,} bytes): the file was "
                            "changed or damaged after it was written; restore it (a shipped model: git checkout) or "
                            "write it again")
        payload = _restore(path, body, "body")
    elif found == LEGACY:
        warnings.warn(f"{path}: format {LEGACY!r} carries no checksum and is read unverified; rewrite it in format "
                      f"{FORMAT!r} with activa.model.checkpoint.upgrade", stacklevel=2)
    else:
        raise DataError(f"{path}: not an activa model or checkpoint file (format {found!r}, expected {FORMAT!r})")
    try:
        meta = json.loads(payload["meta"])
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: activa file without readable metadata ({exc!r}); corrupted?") from None
    tree = payload["tree"] if template is None else serialization.from_state_dict(template, payload["tree"])
    return tree, meta


def upgrade(path: str | Path) -> bool:
    """Rewrite a file of format ``LEGACY`` in format ``FORMAT`` (same tree and metadata, now with a checksum);
    False if it already is one."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree, meta = load(path)
    if not caught:
        return False
    save(path, tree, meta)
    return True


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
