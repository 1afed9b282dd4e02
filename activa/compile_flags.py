"""XLA's LLVM optimisation level 1 for the tests and CI on a CPU-only install (issue 42).

Where many short processes each compile the model (the tests, the smoke DAG), compiling is most of their time:
XLA turning the network into machine code. At LLVM level 1 instead of XLA's default, 3, that takes about a third less
CPU time (the smoke config's Gauss 8 inference-setting job: 55.7 -> 36.7 CPU-s, 2-core AMD EPYC, 2026-12-07), and
the compiled code runs as fast. It is not the same code: on a whole quick run, predictions came out byte for byte the
same, but the held-out -log p differed in the 7th significant digit and a model trained from scratch followed
another float32 trajectory (docs/benchmarks.md). So the pipeline's stages compile at XLA's default and their outputs
are the ones the tables publish; the tests and CI's smoke DAG, which check properties with tolerances, use level 1,
and tests/test_compile_flags.py checks that both levels agree to float32 rounding.

The level is added only where JAX can run nothing but the CPU (no GPU or TPU plugin installed, or
JAX_PLATFORMS=cpu), and never over a level set in XLA_FLAGS. ``tests/conftest.py`` calls ``use_cpu_compile_flags``
before anything starts JAX; ``python -m activa.compile_flags`` prints the XLA_FLAGS value to export (.ci/run).
"""

from __future__ import annotations

import importlib.util
import os

FLAG = "--xla_backend_optimization_level"
LEVEL = 1
ACCELERATOR_PLUGINS = ("jax_plugins", "jax_cuda12_plugin", "jax_cuda13_plugin", "libtpu")
"""Modules whose presence means JAX may run on a GPU or TPU (the PJRT plugin namespace, CUDA, TPU)."""


def cpu_only(environ: dict | None = None) -> bool:
    """Whether JAX can only run on the CPU here: JAX_PLATFORMS is "cpu", or no accelerator plugin is installed."""
    environ = os.environ if environ is None else environ
    if environ.get("JAX_PLATFORMS", "").strip().lower() == "cpu":
        return True
    return not any(importlib.util.find_spec(name) is not None for name in ACCELERATOR_PLUGINS)


def use_cpu_compile_flags(environ: dict | None = None) -> bool:
    """Add ``FLAG=LEVEL`` to XLA_FLAGS in ``environ`` (default: this process's, which the processes it starts
    inherit) if JAX can only run on the CPU and no level is set. Returns whether it added the flag."""
    environ = os.environ if environ is None else environ
    flags = environ.get("XLA_FLAGS", "")
    if FLAG in flags or not cpu_only(environ):
        return False
    environ["XLA_FLAGS"] = f"{flags} {FLAG}={LEVEL}".strip()
    return True


if __name__ == "__main__":
    environ = dict(os.environ)
    use_cpu_compile_flags(environ)
    print(environ.get("XLA_FLAGS", ""))
