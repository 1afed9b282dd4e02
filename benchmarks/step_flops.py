"""Floating-point operations of one ACTIVA training step, from XLA's cost analysis of the compiled step.

    python benchmarks/step_flops.py [--variants gauss2 beta2 gauss8 beta8 sergio] [--precision float32 bfloat16]
        [--rates gauss2=362 ...] [--networks resources/grn]

Compiles one training step (forward, backward, optimiser update; ``activa.model.train.compile_chunk``) of each
variant at its configured size and batch on the CPU, in each ``--precision``, and prints XLA's count of its
FLOPs and bytes accessed. With ``--rates`` (steps per second measured on some device), also the achieved
TFLOP/s = FLOPs per step x steps per second. XLA counts a multiply-add as 2 FLOPs, and a loop body once (so a
chunk's count is one step's); the count is the CPU compilation's, which fuses differently from the GPU's but
does the same arithmetic.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import jax
from bench_train import small_split  # benchmarks/ is on sys.path when run as a script

from activa import config as cfg
from activa.model import architectures
from activa.model.train import TrainData, compile_chunk, cost_of, init_params, initial_state, make_run
from activa.model.variants import variant_configs


def step_cost(config: dict, variant: str, precision: str, networks: Path | None = None, n_steps: int = 1) -> dict:
    """XLA's cost analysis (flops, bytes accessed) of an ``n_steps``-step training chunk of ``variant``."""
    model_cfg, train_cfg, _ = variant_configs(config, variant)
    train_cfg = dataclasses.replace(train_cfg, precision=precision)
    data = small_split(config, variant, networks, n_scm=64)
    model = architectures.build(model_cfg, precision)
    params = init_params(model, jax.random.key(0), data.samples.shape[3], data.samples.shape[2])
    state = initial_state(train_cfg, params)
    compiled, _ = compile_chunk(make_run(model, train_cfg, n_steps), state, TrainData.from_samples(data))
    return {**cost_of(compiled), "params": int(sum(x.size for x in jax.tree.leaves(params))),
            "batch": train_cfg.batch_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--variants", nargs="*", default=["gauss2", "beta2", "gauss8", "beta8", "sergio"])
    parser.add_argument("--precision", nargs="+", default=["float32"], choices=["float32", "bfloat16"])
    parser.add_argument("--rates", nargs="*", default=[], help="variant=steps_per_second")
    parser.add_argument("--networks", type=Path, default=Path("resources/grn"), help="SERGIO: the GRN files")
    args = parser.parse_args()
    config = cfg.load_config(args.config or [Path("config/config.yaml")])
    rates = {k: float(v) for k, v in (r.split("=") for r in args.rates)}
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}")
    print("| Variant | Precision | Parameters | Batch | GFLOP / step | GB accessed / step | Steps / s | TFLOP/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for i, variant in enumerate(args.variants):
        for precision in args.precision:
            one = step_cost(config, variant, precision, args.networks)
            if i == 0 and precision == args.precision[0]:  # XLA counts a scan body once: a 4-step chunk as one step
                four = step_cost(config, variant, precision, args.networks, n_steps=4)
                print(f"  ({variant}: a 4-step chunk counts {four['flops'] / one['flops']:.2f}x the FLOPs of a 1-step one)")
            rate = rates.get(variant)
            achieved = f"{one['flops'] * rate / 1e12:.2f}" if rate else "–"
            print(f"| {variant} | {precision} | {one['params']:,} | {one['batch']} | {one['flops'] / 1e9:.1f} "
                  f"| {one['bytes'] / 1e9:.2f} | {rate if rate else '–'} | {achieved} |", flush=True)


if __name__ == "__main__":
    main()
