"""The trained models shipped with the project: ``models/manifest.json`` and the files it lists.

The manifest (format ``activa-models-1``) maps a variant name to its model file and training log (paths relative
to the manifest's folder), their SHA-256 and size, and how the model was made: architecture, model and training
config, training data (family, split, SCMs, samples per regime, seed), steps (over every run: ``total_steps``),
``lineage`` (every training run: steps, batch, precision, recipe, device, date, seconds; ``activa.model.lineage``),
seconds, device and package versions, final loss. ``verified`` refuses a file whose SHA-256 differs from the
manifest's, so a shipped model is exactly the one the manifest describes. ``models/make/ship.py`` writes the
manifest from a ``models/make/gpu_run.py`` run.
"""

from __future__ import annotations

import json
from pathlib import Path

from activa.data.format import DataError, sha256

FORMAT = "activa-models-1"
MANIFEST = Path(__file__).resolve().parents[2] / "models" / "manifest.json"  # in a source checkout
ENTRY_KEYS = ("file", "sha256", "bytes", "train_log", "train_log_sha256", "architecture", "model_config",
              "train_config", "training_data", "steps", "total_steps", "lineage", "train_s", "device", "written_by",
              "final_loss")


def read_manifest(path: str | Path = MANIFEST) -> dict:
    """The manifest's ``models`` table (variant -> entry), checked for its format and keys."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: manifest of the shipped models not found (they live in a source checkout's models/)")
    if path.is_dir():
        raise DataError(f"{path}: a folder; expected the manifest file of the shipped models (e.g. "
                        f"{path / 'manifest.json'})")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DataError(f"{path}: not an activa model manifest (format "
                        f"{manifest.get('format') if isinstance(manifest, dict) else None!r}, expected {FORMAT!r})")
    for name, entry in manifest["models"].items():
        missing = [key for key in ENTRY_KEYS if key not in entry]
        if missing:
            raise DataError(f"{path}: model '{name}' lacks key(s) {missing}")
    return manifest["models"]


def names(manifest: str | Path = MANIFEST) -> list[str]:
    """The shipped models' names (their variants)."""
    return sorted(read_manifest(manifest))


def verified(name: str, manifest: str | Path = MANIFEST) -> tuple[Path, Path, dict]:
    """(model file, training log, manifest entry) of shipped model ``name``, after checking both files' SHA-256."""
    models = read_manifest(manifest)
    if name not in models:
        raise DataError(f"{manifest}: no shipped model '{name}' (shipped: {', '.join(sorted(models))})")
    entry = models[name]
    folder = Path(manifest).parent
    files = []
    for key, digest in (("file", "sha256"), ("train_log", "train_log_sha256")):
        path = folder / entry[key]
        if not path.exists():
            raise DataError(f"{path}: listed in {manifest} as model '{name}''s {key}, but missing")
        actual = sha256(path)
        if actual != entry[digest]:
            raise DataError(f"{path}: SHA-256 {actual} differs from the manifest's {entry[digest]} ({manifest}, "
                            f"model '{name}'): the file is not the one shipped; restore it (git checkout) or "
                            f"re-ship it with models/make/ship.py")
        files.append(path)
    return files[0], files[1], entry
