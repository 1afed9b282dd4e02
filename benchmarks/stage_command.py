"""Run a pipeline stage as Snakemake does: ``python -m activa <stage> --config FILE... ARGS`` in a subprocess.

Benchmarks time and drive the stages through their commands, never through ``activa.stages`` itself; a run's
own settings reach the stages as an extra config file (``overlay``), merged after the others.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml


def stage_command(stage: str, configs: list[Path], *args) -> list[str]:
    """The command line of one stage with the config files ``configs`` (merged in order), without progress bars."""
    return [sys.executable, "-m", "activa", stage, *(x for c in configs for x in ("--config", str(c))),
            "--no-progress", *map(str, args)]


def run_stage(stage: str, configs: list[Path], *args) -> None:
    """Run one stage (``stage_command``); exit naming the command if it fails."""
    command = stage_command(stage, configs, *args)
    result = subprocess.run(command, stderr=subprocess.PIPE, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")


def overlay(path: Path, settings: dict) -> Path:
    """A config file of ``settings``, merged after the others: how the stages see a run's own changes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    return path
