"""Run a pipeline stage as Snakemake does: ``python -m activa <stage> --config FILE... ARGS`` in a subprocess.

Benchmarks time and drive the stages through their commands, never through ``activa.stages`` itself.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_stage(stage: str, configs: list[Path], *args) -> None:
    """Run one stage with the config files ``configs`` (merged in order); exit naming the command if it fails."""
    command = [sys.executable, "-m", "activa", stage, *(x for c in configs for x in ("--config", str(c))),
               "--no-progress", *map(str, args)]
    result = subprocess.run(command, stderr=subprocess.PIPE, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
