"""Floating-point operations of one ACTIVA training step, from XLA's cost analysis of the compiled step.

    python benchmarks/step_flops.py [--variants gauss2 beta2 gauss8 beta8 sergio] [--rates gauss2=362 ...]
        [--networks resources/grn]

Compiles one training step (forward, backward, optimiser update; ``activa.model.train.make_run`` with a
one-step chunk) of each variant at its configured size and batch on the CPU, and prints XLA's count of its
FLOPs and bytes accessed. With ``--rates`` (steps per second measured on some device), also the achieved
TFLOP/s = FLOPs per step x steps per second. XLA counts a multiply-add as 2 FLOPs; the count is the CPU
compilation's, which fuses differently from the GPU's but does the same arithmetic.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax

from activa import config as cfg
from activa.data.grn import network_paths
from activa.data.simulate import simulate_split
from activa.model import architectures
from activa.model.train import TrainData, init_params, make_run, optimizer
from activa.model.variants import variant_configs


def step_cost(config: dict, variant: str, n_steps: int = 1, networks: Path | None = None) -> dict:
    """XLA's cost analysis (flops, bytes accessed) of an ``n_steps``-step training chunk of ``variant``."""
    model_cfg, train_cfg, spec = variant_configs(config, variant)
    small = cfg.deep_merge(config, {"families": {spec["train_on"]: {"splits": {"train": 64}}}})
    sergio = config["families"][spec["train_on"]]["generator"] == "sergio"
    _, data = simulate_split(small, spec["train_on"], "train", progress=False,
                             networks=network_paths(networks) if sergio else None)
    model = architectures.build(model_cfg)
    params = init_params(model, jax.random.key(0), data.samples.shape[3], data.samples.shape[2])
    opt_state = optimizer(train_cfg).init(params)
    run = make_run(model, train_cfg, n_steps)
    compiled = run.lower(params, opt_state, 0, 1000, TrainData.from_samples(data)).compile()
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    n_params = sum(x.size for x in jax.tree.leaves(params))
    return {"flops": float(cost["flops"]), "bytes": float(cost.get("bytes accessed", float("nan"))),
            "params": int(n_params), "batch": train_cfg.batch_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--variants", nargs="*", default=["gauss2", "beta2", "gauss8", "beta8", "sergio"])
    parser.add_argument("--rates", nargs="*", default=[], help="variant=steps_per_second")
    parser.add_argument("--networks", type=Path, default=Path("resources/grn"), help="SERGIO: the GRN files")
    args = parser.parse_args()
    config = cfg.load_config(args.config or [Path("config/config.yaml")])
    rates = {k: float(v) for k, v in (r.split("=") for r in args.rates)}
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}")
    print("| Variant | Parameters | Batch | GFLOP / step | GB accessed / step | Steps / s | TFLOP/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for i, variant in enumerate(args.variants):
        one = step_cost(config, variant, 1, args.networks)
        if i == 0:  # XLA's count of a scan body is per step: a two-step chunk counts twice the FLOPs
            two = step_cost(config, variant, 2, args.networks)
            print(f"  ({variant}: a 2-step chunk counts {two['flops'] / one['flops']:.2f}x the FLOPs of a 1-step one)")
        rate = rates.get(variant)
        achieved = f"{one['flops'] * rate / 1e12:.2f}" if rate else "–"
        print(f"| {variant} | {one['params']:,} | {one['batch']} | {one['flops'] / 1e9:.1f} | {one['bytes'] / 1e9:.2f} "
              f"| {rate if rate else '–'} | {achieved} |", flush=True)


if __name__ == "__main__":
    main()
