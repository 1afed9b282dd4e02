"""XLA's CPU optimisation level (activa/compile_flags.py): where it applies, and that it computes the same bytes."""

import os
import subprocess
import sys

import numpy as np

from activa import compile_flags

LEVEL = f"{compile_flags.FLAG}={compile_flags.LEVEL}"


def test_the_level_is_added_on_a_cpu_only_install_and_never_over_yours(monkeypatch):
    environ = {"JAX_PLATFORMS": "cpu", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    assert compile_flags.use_cpu_compile_flags(environ)
    assert environ["XLA_FLAGS"] == f"--xla_force_host_platform_device_count=2 {LEVEL}"
    assert not compile_flags.use_cpu_compile_flags(environ)  # once
    mine = {"JAX_PLATFORMS": "cpu", "XLA_FLAGS": f"{compile_flags.FLAG}=3"}
    assert not compile_flags.use_cpu_compile_flags(mine) and mine["XLA_FLAGS"] == f"{compile_flags.FLAG}=3"
    # where a GPU plugin is installed (here: a module that exists stands for it), JAX may compile for the GPU
    monkeypatch.setattr(compile_flags, "ACCELERATOR_PLUGINS", ("json",))
    assert not compile_flags.cpu_only({}) and not compile_flags.use_cpu_compile_flags(gpu := {})
    assert gpu == {}
    assert compile_flags.cpu_only({"JAX_PLATFORMS": "cpu"})  # unless JAX is told to use the CPU


PREDICT = """
import sys
import numpy as np
from activa.api import TrainedModel
rng = np.random.default_rng(0)
x = rng.normal(size=(40, 8)).astype(np.float32)
pred = TrainedModel.pretrained("gauss8").predict(x, target=3, value_index=0, n_latents=10, seed=1)
np.save(sys.argv[1], np.concatenate([pred.samples.ravel(), pred.means.ravel(), pred.covs.ravel()]))
"""


def test_the_cpu_level_predicts_the_same_bytes_as_xlas_default(tmp_path):
    """The shipped Gauss 8 model's prediction, compiled at level 1 and at XLA's default in fresh processes
    (no compilation cache), bit for bit."""
    out = {}
    for name, flags in (("default", ""), ("cpu", LEVEL)):
        env = {**os.environ, "XLA_FLAGS": flags, "JAX_ENABLE_COMPILATION_CACHE": "false"}
        subprocess.run([sys.executable, "-c", PREDICT, str(tmp_path / f"{name}.npy")], env=env, check=True)
        out[name] = np.load(tmp_path / f"{name}.npy")
    assert out["cpu"].size > 1000 and np.isfinite(out["cpu"]).all()
    assert out["cpu"].tobytes() == out["default"].tobytes()
