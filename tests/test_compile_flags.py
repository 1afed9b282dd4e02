"""XLA's CPU optimisation level (activa/compile_flags.py): where it applies, and that it computes what XLA's default
does to float32 rounding."""

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


PROGRAM = """
import sys
import jax
import jax.numpy as jnp
import numpy as np
from activa.api import TrainedModel
model = TrainedModel.pretrained("gauss8")
rng = np.random.default_rng(0)
x = rng.normal(size=(40, 8)).astype(np.float32)
pred = model.predict(x, target=3, value_index=0, n_latents=10, seed=1)
# -log p per sample of interventional samples and its gradient (what training and the density stage compute)
obs = jnp.asarray(rng.normal(size=(16, 40, 8)), jnp.float32)
ints = jnp.asarray(rng.normal(size=(16, 40, 8)), jnp.float32)
target, value = jnp.asarray(np.arange(16) % 8, jnp.int32), jnp.zeros(16, jnp.int32)
def nll(params):
    out, _ = model.module.apply(params, obs, ints, target, value, False, method="loss_terms",
                                rngs={"latent": jax.random.key(1)})
    return out.mean(), out
(_, per_dataset), grad = jax.jit(jax.value_and_grad(nll, has_aux=True))(model.params)
np.savez(sys.argv[1], samples=pred.samples, means=pred.means, covs=pred.covs, nll=per_dataset,
         grad=np.concatenate([np.ravel(g) for g in jax.tree.leaves(grad)]))
"""


def test_the_cpu_level_computes_what_xlas_default_does_to_float32_rounding(tmp_path):
    """The shipped Gauss 8 model compiled at level 1 and at XLA's default, in fresh processes (no compilation
    cache): its prediction and -log p per sample agree to float32 rounding (relative 1e-5), the gradient of that
    loss to 2e-4 of its norm (each of a million entries a float32 sum, summed in another order). Measured on the
    2-core AMD EPYC: level 1 predicts the same bytes, -log p within 3e-7, the gradient within 5e-5; level 0 (which
    this test refuses) -log p within 7e-4, the gradient within 3e-4."""
    out = {}
    for name, flags in (("default", ""), ("cpu", LEVEL)):
        env = {**os.environ, "XLA_FLAGS": flags, "JAX_ENABLE_COMPILATION_CACHE": "false"}
        subprocess.run([sys.executable, "-c", PROGRAM, str(tmp_path / f"{name}.npz")], env=env, check=True)
        out[name] = dict(np.load(tmp_path / f"{name}.npz"))
    cpu, default = out["cpu"], out["default"]
    for key in ("samples", "means", "covs"):
        assert np.isfinite(cpu[key]).all()
        np.testing.assert_allclose(cpu[key], default[key], rtol=1e-5, atol=1e-5 * np.abs(default[key]).max(),
                                   err_msg=key)
    np.testing.assert_allclose(cpu["nll"], default["nll"], rtol=1e-5)
    assert np.linalg.norm(cpu["grad"] - default["grad"]) < 2e-4 * np.linalg.norm(default["grad"])
