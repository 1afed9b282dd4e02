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
