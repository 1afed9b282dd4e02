"""Benchmark: vectorised ``activa.eval.metrics.score_pairs`` against a per-pair loop over reference libraries.

    python benchmarks/bench_metrics.py [--pairs 24000] [--ref-pairs 200]

Times ``score_pairs`` with ``BENCH_CONVENTIONS`` (MMD, W1, energy distance and the 100-permutation
energy test) on ``--pairs`` random pairs (n = m = 30, d = 8 by default), then a straightforward loop over
``--ref-pairs`` of them with POT (``ot.emd2``), dcor (``energy_distance`` and ``homogeneity.energy_test``
with 100 resamples) and a plain numpy MMD, extrapolates the loop to all pairs and prints both times, the
speed-up and the peak resident memory. The reference values are also compared with ours on the subset.
Needs the dev extras (POT, dcor).
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from activa import metrics  # noqa: E402

# The conventions of the reference loop below (kernel exp(-d^2 / (2 sigma^2)), dcor's scaled E-statistic).
BENCH_CONVENTIONS: dict[str, dict] = {
    "mmd": {"metric": "mmd", "squared": False, "unbiased": False, "bandwidth": "median_pooled", "kernel_scale": "2sigma2"},
    "wsd": {"metric": "wasserstein", "p": 1},
    "erg": {"metric": "energy", "form": "scaled", "unbiased": False},
    "p_value": {"metric": "energy_test", "n_permutations": 100, "plus_one": False},
}


def reference_mmd(x: np.ndarray, y: np.ndarray) -> float:
    """Biased MMD, RBF kernel exp(-d^2 / (2 sigma^2)), sigma = median pooled distance (one pair)."""
    z = np.concatenate([x, y])
    d2 = ((z[:, None, :] - z[None, :, :]) ** 2).sum(-1)
    dist = np.sqrt(d2)
    sigma = np.median(dist[np.triu_indices(len(z), 1)]) or 1.0
    k = np.exp(-d2 / (2 * sigma**2))
    n = len(x)
    mmd2 = k[:n, :n].mean() + k[n:, n:].mean() - 2 * k[:n, n:].mean()
    return float(np.sqrt(max(mmd2, 0.0)))


def reference_loop(x: np.ndarray, y: np.ndarray, n_permutations: int) -> dict[str, np.ndarray]:
    import dcor
    import ot

    P, n, m = x.shape[0], x.shape[1], y.shape[1]
    a, b = np.full(n, 1 / n), np.full(m, 1 / m)
    out = {k: np.empty(P) for k in ("mmd", "wsd", "erg", "energy_distance", "p_value")}
    for k in range(P):
        out["mmd"][k] = reference_mmd(x[k], y[k])
        out["wsd"][k] = ot.emd2(a, b, ot.dist(x[k], y[k], metric="euclidean"))
        out["energy_distance"][k] = dcor.energy_distance(x[k], y[k])
        test = dcor.homogeneity.energy_test(x[k], y[k], num_resamples=n_permutations, random_state=k)
        out["erg"][k] = test.statistic
        out["p_value"][k] = test.pvalue
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=24_000, help="pairs for score_pairs (default 24000)")
    parser.add_argument("--ref-pairs", type=int, default=200, help="pairs for the reference loop (default 200)")
    parser.add_argument("--n", type=int, default=30, help="ground-truth samples per pair")
    parser.add_argument("--m", type=int, default=30, help="predicted samples per pair")
    parser.add_argument("--d", type=int, default=8, help="variables")
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    conventions = BENCH_CONVENTIONS
    n_perm = conventions["p_value"]["n_permutations"]
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((args.pairs, args.n, args.d))
    # a mix of null pairs and pairs with small and large shifts
    shift = rng.choice([0.0, 0.2, 1.0], size=(args.pairs, 1, 1))
    y = rng.standard_normal((args.pairs, args.m, args.d)) + shift

    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"{len(__import__('os').sched_getaffinity(0))} CPU core(s) available")
    print(f"pairs={args.pairs}, n={args.n}, m={args.m}, d={args.d}, chunk_size={args.chunk_size}, "
          f"conventions={sorted(conventions)}, n_permutations={n_perm}")

    # warm-ups (imports, dcor's numba compilation) stay outside the timings
    metrics.score_pairs(x[:2], y[:2], conventions=conventions, seed=args.seed, progress=False)

    t0 = time.perf_counter()
    ours = metrics.score_pairs(x, y, conventions=conventions, seed=args.seed, chunk_size=args.chunk_size,
                               progress=not args.no_progress)
    t_ours = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"score_pairs: {t_ours:.2f} s for {args.pairs} pairs ({1e6 * t_ours / args.pairs:.0f} us/pair), "
          f"peak RSS {peak_mib:.0f} MiB (inputs {(x.nbytes + y.nbytes) / 2**20:.0f} MiB)")

    r = min(args.ref_pairs, args.pairs)
    reference_loop(x[:2], y[:2], n_perm)
    t0 = time.perf_counter()
    ref = reference_loop(x[:r], y[:r], n_perm)
    t_ref = time.perf_counter() - t0
    t_ref_all = t_ref / r * args.pairs
    print(f"reference loop (POT emd2 + dcor energy_distance + dcor energy_test({n_perm}) + numpy MMD): "
          f"{t_ref:.2f} s for {r} pairs ({1e3 * t_ref / r:.1f} ms/pair) -> {t_ref_all:.0f} s extrapolated "
          f"to {args.pairs} pairs")
    print(f"speed-up: {t_ref_all / t_ours:.0f}x")

    for name in ("mmd", "wsd", "erg"):
        err = np.abs(ours[name][:r] - ref[name]).max()
        print(f"  max |ours - reference| {name}: {err:.2e}")
    ours_p1 = (ours["p_value"][:r] * n_perm + 1) / (n_perm + 1)  # to dcor's +1 convention
    print(f"  p-values (different permutations): mean |ours(+1) - dcor| = {np.abs(ours_p1 - ref['p_value']).mean():.3f}, "
          f"correlation {np.corrcoef(ours_p1, ref['p_value'])[0, 1]:.3f}")


if __name__ == "__main__":
    main()
