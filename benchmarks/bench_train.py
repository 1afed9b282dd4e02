"""Benchmark: ACTIVA training steps per second for each variant (v2 and v1) at paper size (batch, N, d, widths).

    python benchmarks/bench_train.py [--variants gauss2 beta2 gauss8 beta8] [--steps 20]

Simulates a small training split (batches are drawn with replacement, so its size does not matter), compiles
one ``steps_per_call`` chunk, then times ``--steps`` steps. Runs on whatever device JAX picks (CPU here).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import jax

from activa import config as cfg
from activa.data.simulate import simulate_split
from activa.model import architectures
from activa.model.train import TrainData, init_params, make_run, optimizer
from activa.model.variants import variant_configs


def steps_per_second(config: dict, variant: str, data, steps: int) -> tuple[float, float]:
    """(steps per second, seconds of the first call incl. compilation) of ``variant`` on ``data``.

    Times the second call of one compiled ``steps``-step chunk.
    """
    model_cfg, train_cfg, _ = variant_configs(config, variant)
    model = architectures.build(model_cfg)
    params = init_params(model, jax.random.key(0), data.samples.shape[3], data.samples.shape[2])
    opt_state = optimizer(train_cfg).init(params)
    run = make_run(model, dataclasses.replace(train_cfg, steps_per_call=steps), steps)
    train_data = TrainData.from_samples(data)
    start = time.perf_counter()
    params, opt_state, _ = jax.block_until_ready(run(params, opt_state, 0, 2 * steps, train_data))
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    jax.block_until_ready(run(params, opt_state, steps, 2 * steps, train_data))
    return steps / (time.perf_counter() - start), compile_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--variants", nargs="*", default=None)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    config = cfg.load_config(args.config or [Path("config/config.yaml")])
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}: {jax.devices()[0].device_kind}")
    for variant in args.variants or config["activa"]["variants"]:
        _, train_cfg, spec = variant_configs(config, variant)
        small = cfg.deep_merge(config, {"families": {spec["train_on"]: {"splits": {"train": 512}}}})
        _, data = simulate_split(small, spec["train_on"], "train", progress=False)
        rate, compile_s = steps_per_second(config, variant, data, args.steps)
        steps = train_cfg.total_steps(config["families"][spec["train_on"]]["splits"]["train"])
        print(f"{variant:14s} {spec['architecture']} batch {train_cfg.batch_size}  {rate:6.2f} steps/s  "
              f"(first call incl. compile {compile_s:5.1f} s)  paper run: {steps} steps = "
              f"{steps / rate / 3600:7.1f} h at this rate")


if __name__ == "__main__":
    main()
