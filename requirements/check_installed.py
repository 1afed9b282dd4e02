"""Is this Python environment exactly a lock file's? (CI runs it after installing from the lock.)

    python requirements/check_installed.py requirements/lock-cpu.txt

Compares every installed distribution (except the packaging tools pip, setuptools and wheel, the installer uv of
``requirements/uv.txt``, and the project itself) with the lock's pins whose environment markers hold here, and
exits 1 naming each package that is missing, at another version, or not in the lock.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker

NOT_LOCKED = {"pip", "uv", "setuptools", "wheel", "distribute", "activa"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def normalize(name: str) -> str:
    """PEP 503 project name: 'ConfigArgParse' and 'configargparse', 'typing_extensions' and 'typing-extensions'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: str | Path) -> dict[str, list[tuple[str, str | None]]]:
    """{name: [(version, marker or None), ...]} of a pip/uv lock file; a name can have one pin per marker fork."""
    pins: dict[str, list[tuple[str, str | None]]] = {}
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip() or line[0] in "# \t-":
            continue  # comments, hash continuation lines, options
        m = PIN.match(line)
        if not m:
            raise ValueError(f"{path}:{n}: expected 'name==version [; marker]', got {line!r}")
        pins.setdefault(normalize(m.group(1)), []).append((m.group(2), m.group(3)))
    return pins


def locked_here(pins: dict[str, list[tuple[str, str | None]]]) -> dict[str, str]:
    """{name: version} of the pins whose markers hold for this interpreter and platform (less ``NOT_LOCKED``:
    a lock may pin setuptools as a dependency, but the environment check leaves the packaging tools out)."""
    out = {}
    for name, forks in pins.items():
        if name in NOT_LOCKED:
            continue
        for version, marker in forks:
            if marker is None or Marker(marker).evaluate():
                out[name] = version
    return out


def installed() -> dict[str, str]:
    """{name: version} of every distribution on sys.path, as pip freeze lists them."""
    dists = {normalize(d.metadata["Name"]): d.version for d in metadata.distributions()}
    return {k: v for k, v in dists.items() if k not in NOT_LOCKED}


def differences(locked: dict[str, str], have: dict[str, str]) -> list[str]:
    """One line per package that differs between the lock and the environment; empty when they are equal."""
    out = []
    for name in sorted(locked.keys() | have.keys()):
        if name not in have:
            out.append(f"{name}: locked at {locked[name]}, not installed")
        elif name not in locked:
            out.append(f"{name}: {have[name]} installed, not in the lock")
        elif locked[name] != have[name]:
            out.append(f"{name}: locked at {locked[name]}, {have[name]} installed")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    locked = locked_here(read_lock(argv[0]))
    diff = differences(locked, installed())
    for line in diff:
        print(line, file=sys.stderr)
    if diff:
        print(f"this environment is not {argv[0]}: {len(diff)} difference(s)", file=sys.stderr)
        return 1
    print(f"this environment is exactly {argv[0]}: {len(locked)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
