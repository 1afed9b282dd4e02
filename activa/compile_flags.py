"""How XLA compiles on a CPU-only install: LLVM optimisation level 1 instead of XLA's default (issue 42).

On a CPU, compiling is a large share of a short job: of the smoke run's job time, and of the tests', most is XLA
turning the model into machine code. At LLVM level 1 that takes about a third less CPU time (the Gauss 8
inference-setting job of the smoke config: 55.7 -> 36.7 CPU-s, 2-core AMD EPYC, 2026-12-07), the compiled code
runs as fast (a quick-config SERGIO prediction: 41-47 CPU-s at either level) and computes the same bytes: the
level changes how LLVM schedules and unrolls, and XLA's CPU code uses no fast-math, so no floating-point
operation is reordered (checked file by file on a whole quick run: docs/benchmarks.md).

It applies only where JAX can run nothing but the CPU (no GPU or TPU plugin installed, or JAX_PLATFORMS=cpu),
and never over a level you set in XLA_FLAGS. It must run before JAX starts a backend: ``activa.cli`` calls it
first, and tests/conftest.py for the tests and the processes they start.
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
