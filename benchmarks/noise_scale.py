"""The gradient noise scale B_simple of ACTIVA variants on their training data (McCandlish et al. 2018, "An Empirical
Model of Large-Batch Training", appendix A): how many datasets a batch can hold before more stop paying.

    python benchmarks/noise_scale.py --variants gauss2 beta2 --small 32 --micro 16 --reps 20 --out FILE.md

For each variant, at its shipped weights (``models/``), ``--reps`` times: ``--micro`` independent gradients of the
training loss (``activa.model.train.loss_fn``, dropout on, as in training) on batches of ``--small`` datasets, and
their mean, the gradient of a batch of ``small * micro`` datasets (accumulated, so that an eight-variable model's
large batch fits in memory). With B_s = small, B_b = small * micro and the squared norms |G_s|^2 (mean over the
micro-batches) and |G_b|^2:

    |G|^2 ~ (B_b |G_b|^2 - B_s |G_s|^2) / (B_b - B_s),   S ~ (|G_s|^2 - |G_b|^2) / (1 / B_s - 1 / B_b),

both unbiased; B_simple = S / |G|^2, from their means over the repetitions, with a bootstrap interval over the
repetitions (2,000 resamples, 95 %); "not resolved" where the |G|^2 estimate or the interval's lower end is not
positive (the gradient's norm is not above its noise at B_b: B_simple is far above B_b, or needs more repetitions). Batches: fresh SCMs of the variant's training family for the linear families
(``activa.data.scm_device``, as the recipe ``data: fresh`` draws them), the variant's training split for SERGIO
(simulated here at ``--sergio-scms`` SCMs). A dataset is one (SCM, interventional regime) item of a batch, each
from its own SCM (the variants' ``regimes: one``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from activa import config as cfg
from activa.api import TrainedModel
from activa.data.simulate import simulate_split
from activa.model.train import TrainData, loss_fn
from activa.model.variants import variant_configs

ROOT = Path(__file__).resolve().parents[1]


def batch_source(config: dict, variant: str, sergio_scms: int, resources: Path | None):
    """key, n -> (obs, intv, target, value_index) of n datasets of the variant's training data."""
    from activa.data.families import KINDS

    family = config["activa"]["variants"][variant]["train_on"]
    spec = config["families"][family]
    if KINDS[spec["generator"]].fresh_scms:
        from activa.data import scm_device

        def draw(key, n):
            return scm_device.sample_batch(key, spec, n, "one", None)
        return draw, family
    small = cfg.deep_merge(config, {"families": {family: {"splits": {"train": sergio_scms}}}})
    _, samples = simulate_split(small, family, "train", progress=False, resources=resources)
    data = TrainData.from_samples(samples)

    def draw(key, n):
        k_scm, k_regime = jax.random.split(key)
        idx = jax.random.randint(k_scm, (n,), 0, data.samples.shape[0])
        r = jax.random.randint(k_regime, (n,), 0, data.int_regimes.shape[0])
        return data.samples[idx, data.obs_regime], data.samples[idx, data.int_regimes[r]], data.target[r], \
            data.value_index[r]
    return draw, family


def measure(variant: str, config: dict, small: int, micro: int, reps: int, sergio_scms: int, seed: int,
            resources: Path | None = None) -> dict:
    model = TrainedModel.pretrained(variant)
    _, tcfg, _ = variant_configs(config, variant)
    draw, family = batch_source(config, variant, sergio_scms, resources)

    @jax.jit
    def gradient(params, key):
        k_data, k_loss = jax.random.split(key)
        obs, intv, target, value_index = draw(k_data, small)
        grads = jax.grad(lambda p: loss_fn(p, model.module, obs, intv, target, value_index, k_loss, tcfg.beta)[0])(
            params)
        return jnp.concatenate([g.ravel() for g in jax.tree.leaves(grads)])  # squared norms in float64 below

    t0 = time.perf_counter()
    key = jax.random.key(seed)
    small_sq, big_sq = [], []
    for rep in range(reps):
        gs = [np.asarray(gradient(model.params, jax.random.fold_in(key, rep * micro + i)), np.float64)
              for i in range(micro)]
        small_sq.append(np.mean([g @ g for g in gs]))
        big = np.mean(gs, axis=0)
        big_sq.append(big @ big)
    small_sq, big_sq = np.asarray(small_sq), np.asarray(big_sq)
    b_s, b_b = small, small * micro

    def b_simple(idx):
        s2, b2 = small_sq[idx].mean(), big_sq[idx].mean()
        g2 = (b_b * b2 - b_s * s2) / (b_b - b_s)
        trace = (s2 - b2) / (1 / b_s - 1 / b_b)
        return trace / g2, g2, trace

    value, g2, trace = b_simple(np.arange(reps))
    rng = np.random.default_rng(seed)
    boots = np.array([b_simple(rng.integers(0, reps, reps))[0] for _ in range(2000)])
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return {"variant": variant, "family": family, "b_small": b_s, "b_big": b_b, "reps": reps, "g2": g2, "trace": trace,
            "b_simple": value, "lo": lo, "hi": hi, "seconds": time.perf_counter() - t0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--variants", nargs="+", default=["gauss2", "beta2", "gauss8", "beta8", "sergio"])
    parser.add_argument("--config", action="append", type=Path, default=None,
                        help="config files, merged in order (default: config/config.yaml)")
    parser.add_argument("--small", type=int, default=32, help="datasets in a small batch")
    parser.add_argument("--micro", type=int, default=16, help="small batches averaged into a large one")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--sergio-scms", type=int, default=2000, help="SCMs of the SERGIO training split simulated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resources", type=Path, default=ROOT / "resources" / "grn",
                        help="the GRN network files (stage networks), for SERGIO")
    parser.add_argument("--out", type=Path, default=None, help="Markdown table (else printed)")
    args = parser.parse_args()
    config = cfg.load_config(args.config or [ROOT / "config/config.yaml"])
    lines = ["| variant | family | B_small | B_big | repetitions | B_simple (95 % bootstrap) | |G|^2 | tr(Sigma) | s |",
             "|---|---|---:|---:|---:|---|---:|---:|---:|"]
    for variant in args.variants:
        r = measure(variant, config, args.small, args.micro, args.reps, args.sergio_scms, args.seed, args.resources)
        resolved = r["g2"] > 0 and r["lo"] > 0  # else |G|^2 is not above its own noise: B_simple >> B_big, or more reps
        estimate = f"{r['b_simple']:.0f} ({r['lo']:.0f}-{r['hi']:.0f})" if resolved else "not resolved"
        lines.append(f"| {r['variant']} | {r['family']} | {r['b_small']} | {r['b_big']} | {r['reps']} | {estimate} | "
                     f"{r['g2']:.4g} | {r['trace']:.4g} | {r['seconds']:.0f} |")
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
