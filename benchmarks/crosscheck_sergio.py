"""Cross-check: our vectorised SERGIO against the reference (AVICI's knockout version) on the same inputs.

    python benchmarks/crosscheck_sergio.py [--networks resources/grn] [--n 60] [--family sergio]

Requirements beyond ours: network access to PyPI once. The script runs ``pip download avici==1.0.7
--no-deps`` into a temporary folder, checks the wheel's SHA-256 and loads the reference simulator's single
file (``avici/synthetic/sergio/sim.py``, which needs only NumPy) by path; nothing of it is installed or
copied into activa. For ``--n`` graphs and parameter sets drawn by activa, both simulators run the
observational condition and every knockout with 30 cells, and the script compares, over all runs:
mean expression, mean per-gene variance, and the mean knockout effect (KO mean - observational mean of
a gene) on direct children, on further descendants and on non-descendants of the knocked-out gene. It also
times the reference per simulation (all conditions) against ours.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from activa import config as cfg
from activa.data import grn, sergio
from activa.eval import effects


def load_reference(tmp: Path):
    subprocess.run([sys.executable, "-m", "pip", "download", grn.WHEEL, "--no-deps", "--dest", str(tmp), "--quiet"],
                   check=True)
    wheel = next(tmp.glob("avici-1.0.7-*.whl"))
    if hashlib.sha256(wheel.read_bytes()).hexdigest() != grn.WHEEL_SHA256:
        raise SystemExit(f"{wheel}: unexpected SHA-256")
    with zipfile.ZipFile(wheel) as z:
        z.extract("avici/synthetic/sergio/sim.py", tmp)
    spec = importlib.util.spec_from_file_location("reference_sergio", tmp / "avici/synthetic/sergio/sim.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Sergio


def run_reference(Sergio, params: sergio.SergioParams, s: int, cells: int, seed: int) -> np.ndarray:
    """[R, cells, g] from the reference, one Sergio instance per condition as AVICI runs it."""
    g = params.adjacency.shape[1]
    _, knockout = sergio.knockout_regimes(g)
    rng = np.random.default_rng(seed)
    out = []
    for kout in knockout:
        sim = Sergio(rng=rng, number_genes=g, number_bins=params.basal.shape[-1], number_sc=cells,
                     noise_params=float(params.noise[s]), noise_type="dpd", decays=float(params.decay[s]),
                     sampling_state=15, kout=kout, dt=0.01, safety_steps=10)
        sim.custom_graph(g=params.adjacency[s].astype(int), k=params.k[s], b=params.basal[s],
                         hill=params.hill[s] * np.ones((g, g)))
        sim.simulate()
        out.append(np.concatenate(sim.getExpressions(), axis=1).T)  # [cells, g]
    return np.stack(out)


def summary(x: np.ndarray, adjacency: np.ndarray) -> dict[str, float]:
    """x [S, R, cells, g]: mean, per-gene variance, knockout effects by relation to the knocked-out gene."""
    means = x.mean(axis=2)  # [S, R, g]
    effect = means[:, 1:] - means[:, :1]  # [S, g_ko, g]
    child = adjacency.astype(bool)
    desc = effects.descendants(adjacency)
    g = adjacency.shape[1]
    other = ~np.eye(g, dtype=bool)[None]
    rows = {"mean expression (observational)": float(means[:, 0].mean()),
            "mean per-gene variance (observational)": float(x[:, 0].var(axis=1).mean())}
    for name, mask in (("KO effect on direct children", child), ("KO effect on further descendants", desc & ~child),
                       ("KO effect on non-descendants", ~desc & other)):
        rows[name] = float(effect[mask].mean()) if mask.any() else float("nan")
        rows[name.replace("effect", "|effect|")] = float(np.abs(effect[mask]).mean()) if mask.any() else float("nan")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--networks", type=Path, default=Path("resources/grn"))
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--family", default="sergio")
    args = parser.parse_args()
    config = cfg.load_config([Path("config/config.yaml")])
    spec = config["families"][args.family]
    cells = spec["samples_per_regime"]
    rng = np.random.default_rng(0)
    extractor = {name: grn.ModuleExtractor(grn.load_network(args.networks / grn.NETWORK_FILES[name][0]), spec["topk"])
                 for name in spec["networks"]}
    names = sorted(extractor)
    adjacency = np.stack([extractor[names[i % len(names)]].subnetwork(rng, spec["n_vars"]) for i in range(args.n)])
    params = sergio.sample_params(rng, adjacency, spec)
    _, knockout = sergio.knockout_regimes(spec["n_vars"])

    start = time.perf_counter()
    ours, _ = sergio.simulate_conditions(np.random.default_rng(1), params, knockout, cells, spec)
    ours_s = (time.perf_counter() - start) / args.n
    with tempfile.TemporaryDirectory() as tmp:
        Sergio = load_reference(Path(tmp))
        start = time.perf_counter()
        ref = np.stack([run_reference(Sergio, params, s, cells, seed=100 + s) for s in range(args.n)])
        ref_s = (time.perf_counter() - start) / args.n

    a, b = summary(ours, adjacency), summary(ref, adjacency)
    print(f"{args.family}: {args.n} simulations x {len(knockout)} conditions x {cells} cells, {spec['n_vars']} genes")
    print(f"{'quantity':45s} {'ours':>9s} {'reference':>9s}")
    for key in a:
        print(f"{key:45s} {a[key]:9.3f} {b[key]:9.3f}")
    again, _ = sergio.simulate_conditions(np.random.default_rng(2), params, knockout, cells, spec)
    per_gene = np.corrcoef(ours.mean(axis=2).ravel(), ref.mean(axis=2).ravel())[0, 1]
    noise_ceiling = np.corrcoef(ours.mean(axis=2).ravel(), again.mean(axis=2).ravel())[0, 1]
    print(f"correlation of per-(simulation, condition, gene) means: ours vs reference {per_gene:.3f}; "
          f"ours vs ours with another seed {noise_ceiling:.3f} (the sampling-noise ceiling)")
    obs, obs_mean = sergio.simulate_conditions(np.random.default_rng(3), params, knockout[:1], cells, spec)
    ko, _ = sergio.simulate_conditions(np.random.default_rng(4), params, knockout[1:], cells, spec,
                                       half_response=np.repeat(obs_mean, len(knockout) - 1, axis=1))
    fixed = summary(np.concatenate([obs, ko], axis=1), adjacency)
    print("\nhalf-responses per condition (the reference, default) vs from the observational run (ours only):")
    for key in [k for k in a if "|effect|" in k]:
        print(f"{key:45s} {a[key]:9.3f} {fixed[key]:9.3f}")
    print(f"seconds per simulation (all conditions): ours {ours_s:.4f} (one process, batch of {args.n}), "
          f"reference {ref_s:.3f}: {ref_s / ours_s:.0f}x")


if __name__ == "__main__":
    main()
