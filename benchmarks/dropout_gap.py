"""Benchmark: how well each shipped model fits held-out SCMs with dropout off (as it predicts) and on (as it trains).

    python benchmarks/dropout_gap.py [--variants gauss2 beta2 gauss8 beta8] [--scms 256] [--manifest models/manifest.json]

For each shipped model (linear families): a fresh test split of ``--scms`` SCMs of its family (the config's test
stream), one dataset per SCM (the interventional regimes in turn), the model's -log p per sample of each dataset
with the latent drawn from q, dropout off and on (``loss_terms``), and the smallest and largest eigenvalue of the
decoded covariance of one latent from the prior, dropout off. Prints medians and means (docs/training.md, "A
finding: the eight-variable models need their dropout").
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import numpy as np

from activa import config as cfg
from activa.api import TrainedModel
from activa.data.simulate import simulate_split
from activa.model.train import TrainData


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--variants", nargs="+", default=["gauss2", "beta2", "gauss8", "beta8"])
    parser.add_argument("--scms", type=int, default=256)
    parser.add_argument("--manifest", type=Path, default=None)
    args = parser.parse_args()
    config = cfg.load_config(args.config or [Path("config/config.yaml")])
    print("| Variant | Steps | -log p / sample, dropout off: median (mean) | dropout on: median (mean) "
          "| Covariance eigenvalues, median smallest / largest |")
    print("|---|---:|---:|---:|---:|")
    for variant in args.variants:
        model = TrainedModel.pretrained(variant, args.manifest)
        family = model.meta["family"]
        small = cfg.deep_merge(config, {"families": {family: {"splits": {"test": args.scms}}}})
        _, data = simulate_split(small, family, "test", progress=False)
        test = TrainData.from_samples(data)
        idx = np.arange(args.scms)
        r = idx % test.int_regimes.shape[0]
        obs, intv = test.samples[idx, test.obs_regime], test.samples[idx, test.int_regimes[r]]
        target, value = test.target[r], test.value_index[r]
        fits = []
        for train in (False, True):
            nll, _ = model.module.apply(model.params, obs, intv, target, value, train, method="loss_terms",
                                        rngs={"latent": jax.random.key(1), "dropout": jax.random.key(2)})
            fits.append(f"{np.median(nll):.3f} ({np.mean(nll):.3f})")
        z = model.module.apply(model.params, obs, target, value, 1, method="sample_latents",
                               rngs={"latent": jax.random.key(3)})
        _, _, covs = model.module.apply(model.params, z[:, 0], target, value, method="decode_query")
        eig = np.linalg.eigvalsh(np.asarray(covs[:, 0], np.float64))
        steps = model.meta.get("total_steps", model.meta["steps"])
        print(f"| {variant} | {steps:,} | {fits[0]} | {fits[1]} | {np.median(eig[:, 0]):.2g} / "
              f"{np.median(eig[:, -1]):.2g} |", flush=True)


if __name__ == "__main__":
    main()
