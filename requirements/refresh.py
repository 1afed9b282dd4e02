"""Regenerate the pip locks and the conda env files from pyproject.toml (needs uv: pip install uv==0.13.9).

    python requirements/refresh.py             # re-resolve, keeping every locked version pyproject still allows
    python requirements/refresh.py --upgrade   # the newest versions pyproject allows

Writes, with uv's universal resolver (one lock for Linux, macOS and Windows, Python >= 3.11):
    requirements/lock-cpu.txt   pyproject's dependencies + the dev and references extras, exact versions and sha256 hashes
    requirements/lock-gpu.txt   the same + the gpu extra (JAX's CUDA 12 wheels), constrained to lock-cpu's versions
    envs/activa.yaml, envs/activa-gpu.yaml
                                the rules' conda envs: conda-forge's Python and pip, every other package from PyPI
                                at the lock's version (the closure of pyproject's dependencies, less Snakemake)
What to run before committing a refreshed lock: README, "Refreshing the lock".
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYTHON = "3.11.7"  # the interpreter that ran the locked versions (README, "Versions"); conda envs pin it
MIN_PYTHON = "3.11"  # pyproject's requires-python: the universal lock holds for this and every later version
NOT_IN_ENVS = {"snakemake"}  # the rules' envs run stages, not Snakemake itself
HEADER = "python requirements/refresh.py"
ENV_TITLES = {
    "activa.yaml": "CPU environment of every rule.",
    "activa-gpu.yaml": "GPU environment for the train and predict rules on NVIDIA GPUs (Linux x86_64): point those\n"
                       "# rules' conda: directive here.",
}


def compile_(args: list[str], stdin: str | None = None) -> str:
    cmd = ["uv", "pip", "compile", *args, "--universal", "--python-version", MIN_PYTHON,
           "--fork-strategy", "fewest",
           "--custom-compile-command", HEADER]
    return subprocess.run(cmd, cwd=ROOT, input=stdin, text=True, capture_output=True, check=True).stdout


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def write_env(name: str, requirements: list[str], lock: str) -> None:
    """envs/<name>: Python and pip from conda-forge, the closure of ``requirements`` from PyPI at ``lock``'s pins."""
    pins = compile_(["-", "-c", f"requirements/{lock}", "--no-header", "--no-annotate"], "\n".join(requirements))
    lines = [f"# {ENV_TITLES[name]} Generated from requirements/{lock} by {HEADER}: do not edit.",
             "# conda-forge supplies Python and pip; every other package is the locked PyPI wheel, so the rules run the",
             "# same builds as a pip install from the lock. The rules run `python -m activa` from the repository root,",
             "# so the package itself needs no install inside the env.",
             "channels:", "  - conda-forge", "  - nodefaults", "dependencies:", f"  - python ={PYTHON}", "  - pip",
             "  - pip:"]
    lines += [f'      - "{pin.strip()}"' for pin in pins.splitlines() if pin.strip() and not pin.startswith("#")]
    (ROOT / "envs" / name).write_text("\n".join(lines) + "\n")


def main(argv: list[str]) -> None:
    upgrade = ["--upgrade"] if argv == ["--upgrade"] else []
    if argv not in ([], ["--upgrade"]):
        sys.exit(__doc__)
    compile_(["pyproject.toml", "--extra", "dev", "--extra", "references", "--generate-hashes",
              "-o", "requirements/lock-cpu.txt", *upgrade])
    compile_(["pyproject.toml", "--extra", "dev", "--extra", "references", "--extra", "gpu", "--generate-hashes",
              "-c", "requirements/lock-cpu.txt", "-o", "requirements/lock-gpu.txt", *upgrade])
    spec = project()
    runtime = [d for d in spec["dependencies"] + spec["optional-dependencies"]["references"]
               if Requirement(d).name not in NOT_IN_ENVS]
    write_env("activa.yaml", runtime, "lock-cpu.txt")
    write_env("activa-gpu.yaml", runtime + spec["optional-dependencies"]["gpu"], "lock-gpu.txt")


if __name__ == "__main__":
    main(sys.argv[1:])
