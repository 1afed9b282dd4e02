import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def smoke_config() -> dict:
    from activa.config import load_config

    return load_config([ROOT / "config/config.yaml", ROOT / "config/smoke.yaml"])


@pytest.fixture
def python() -> str:
    return sys.executable


def activa(root, *args) -> subprocess.CompletedProcess:
    """``python -m activa *args`` run in ``root``, as Snakemake runs a stage (output captured)."""
    return subprocess.run([sys.executable, "-m", "activa", *map(str, args)], cwd=root, capture_output=True, text=True)


def simulate_files(root, cfg: list, family: str, split: str, samples: Path, scms: Path) -> None:
    """The simulate stage through the CLI (config files ``cfg``, as ``--config`` arguments), writing ``samples`` and
    ``scms``; fails the test with the stage's stderr if it fails."""
    r = activa(root, "simulate", *cfg, "--family", family, "--split", split, "--no-progress", "--out-samples", samples,
               "--out-scms", scms)
    assert r.returncode == 0, r.stderr


def simulate_test_split(family: str, n_scm: int, n_samples: int | None = None):
    """(smoke config, SCMTable, Samples) of ``n_scm`` test SCMs of a linear family, in memory (``n_samples`` per
    regime, default the smoke config's)."""
    import numpy as np

    from activa.config import load_config
    from activa.data.format import SCMTable
    from activa.data.simulate import simulate_split

    config = load_config([ROOT / "config/config.yaml", ROOT / "config/smoke.yaml"])
    config["families"][family]["splits"]["test"] = n_scm
    if n_samples is not None:
        config["families"][family]["samples_per_regime"] = n_samples
    linear, truth = simulate_split(config, family, "test", progress=False)
    truth.meta.update(intervention_values=config["families"][family]["intervention_values"])
    scms = SCMTable(linear.adjacency.astype(np.uint8), linear.weights, linear.noise_params,
                    {"noise_family": linear.noise_family})
    return config, scms, truth
