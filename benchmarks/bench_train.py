"""Benchmark: ACTIVA training steps per second for each variant (v2 and v1) at paper size (batch, N, d, widths).

    python benchmarks/bench_train.py [--variants gauss2 beta2 gauss8 beta8 sergio] [--steps 20]
        [--precision float32 bfloat16] [--recipe paper] [--networks resources/grn]

Simulates a small training split (batches are drawn with replacement, so its size does not matter; SERGIO
families need the network files, ``--networks``), compiles one ``--steps`` chunk, then times a second call of it.
Prints steps/s and XLA's FLOPs per step for every precision asked for. Runs on whatever device JAX picks (CPU
here).
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
from activa.model.train import TrainData, compile_chunk, fresh_source, init_params, initial_state, make_run
from activa.model.variants import variant_configs


def small_split(config: dict, variant: str, networks: Path | None, n_scm: int = 512):
    """A small training split of ``variant``'s family (SERGIO families: from the GRN files in ``networks``)."""
    _, _, spec = variant_configs(config, variant)
    family = spec["train_on"]
    small = cfg.deep_merge(config, {"families": {family: {"splits": {"train": n_scm}}}})
    if cfg.family(config, family)["generator"] == "sergio":
        if networks is None or not Path(networks).is_dir():
            raise SystemExit(f"variant {variant}: family '{family}' is a SERGIO family and needs --networks DIR (the "
                             f"two GRN TSVs, e.g. resources/grn from `python -m activa networks`); got {networks}")
        _, data = simulate_split(small, family, "train", progress=False, resources=networks)
    else:
        _, data = simulate_split(small, family, "train", progress=False)
    data.meta.update(config=cfg.family(config, family), seed=config["seed"], family=family)
    return data


def steps_per_second(config: dict, variant: str, data, steps: int, precision: str | None = None) -> tuple[float, float, float]:
    """(steps per second, seconds of the first call incl. compilation, XLA's FLOPs per step) of ``variant``.

    Times the second call of one compiled ``steps``-step chunk; ``precision`` overrides the configured one.
    """
    model_cfg, train_cfg, _ = variant_configs(config, variant)
    train_cfg = dataclasses.replace(train_cfg, steps_per_call=steps, **({"precision": precision} if precision else {}))
    model = architectures.build(model_cfg, train_cfg.precision)
    params = init_params(model, jax.random.key(0), data.samples.shape[3], data.samples.shape[2])
    state = initial_state(train_cfg, params)
    fresh = fresh_source(data) if train_cfg.data == "fresh" else None
    train_data = TrainData.from_samples(data)
    start = time.perf_counter()
    run, flops = compile_chunk(make_run(model, train_cfg, steps, fresh), state, train_data)
    state, _ = jax.block_until_ready(run(state, 0, 2 * steps, train_data))
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    jax.block_until_ready(run(state, steps, 2 * steps, train_data))
    return steps / (time.perf_counter() - start), compile_s, flops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--variants", nargs="*", default=None)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--precision", nargs="+", default=[None], choices=["float32", "bfloat16"])
    parser.add_argument("--recipe", default=None, help="a key of activa.recipes (default: the config's)")
    parser.add_argument("--networks", type=Path, default=Path("resources/grn"),
                        help="SERGIO families: folder of the two GRN TSVs (python -m activa networks)")
    args = parser.parse_args()
    config = cfg.load_config(args.config or [Path("config/config.yaml")])
    if args.recipe:
        config = cfg.deep_merge(config, {"activa": {"training": {"recipe": args.recipe}}})
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}: {jax.devices()[0].device_kind}")
    for variant in args.variants or config["activa"]["variants"]:
        _, train_cfg, spec = variant_configs(config, variant)
        data = small_split(config, variant, args.networks)
        for precision in args.precision:
            rate, compile_s, flops = steps_per_second(config, variant, data, args.steps, precision)
            steps = train_cfg.total_steps(config["families"][spec["train_on"]]["splits"]["train"])
            print(f"{variant:14s} {spec['architecture']} {precision or train_cfg.precision:8s} batch "
                  f"{train_cfg.batch_size}  {rate:6.2f} steps/s  {flops / 1e9:7.1f} GFLOP/step  (first call incl. "
                  f"compile {compile_s:5.1f} s)  paper run: {steps} steps = {steps / rate / 3600:7.1f} h at this rate",
                  flush=True)


if __name__ == "__main__":
    main()
