import os
import subprocess
import sys
from pathlib import Path

import pytest

from activa.compile_flags import use_cpu_compile_flags

ROOT = Path(__file__).resolve().parents[1]

# JAX's persistent compilation cache, set before anything imports JAX: the checkout's one, which its Snakemake runs
# use too (workflow/rules/common.smk). The session's xdist workers and the stage processes the tests start (they
# inherit the environment) load a program another one compiled (the smoke config's tiny models recur in many
# tests), and so do the next session and a smoke run after the tests (CI). The compiled code, and so every result,
# is the same as without it. Yours, if you set JAX_COMPILATION_CACHE_DIR, takes precedence.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(ROOT / ".snakemake" / "jax-cache"))

# XLA's LLVM level 1 on a CPU-only install (activa/compile_flags.py): about a third less compiling, results equal to
# float32 rounding (tests/test_compile_flags.py). Set before anything starts JAX, so that the xdist workers and every
# process they start use it; the pipeline's stages, run by themselves, compile at XLA's default.
use_cpu_compile_flags()


# The modules that take longest (seconds of setup and calls, 2-core AMD EPYC, 2026-12-07), handed to the xdist
# workers first (pyproject.toml: --no-loadscope-reorder keeps this order): the short modules then fill the
# workers' tails instead of one long module starting last. Update it when a module grows.
LONGEST_FIRST = ["test_model.py", "test_gpu_run.py", "test_precision.py", "test_pipeline.py", "test_training.py",
                 "test_model_v1.py", "test_scm_device.py", "test_bad_input.py", "test_tables.py", "test_spread.py",
                 "test_shipped_models.py", "test_sachs.py", "test_workflow.py", "test_references.py"]


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: tests keep their order in a module


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
