"""Benchmark: SERGIO's noise floor and which cell-type setting the paper's SERGIO numbers imply.

    python benchmarks/sergio_floor.py [--families sergio sergio_ood] [--cell-types 1 5 10] [--scms 300] [--runs 20]

The papers do not say how many cell types their SERGIO data had (AVICI's own configs use 5 for training and 10
for testing; ours: 1). For each family and cell-type count: a test split of ``--scms`` simulations (the config's
test stream, the family's other settings unchanged), and, scored under the configured (the paper's) metric
conventions, the conditional baseline, no_effect, truth_resample (a second run) and truth_pooled (N cells drawn
from ``--runs`` independent runs: a perfect prediction of the condition's distribution), with the effect errors
on descendants / non-descendants against the pooled means, a run's effective sample size
(``references.effective_samples``) and the mean expression. The published baseline cells (paper_values.yaml)
are set against ours as ratios: the cell-type count whose baseline reproduces them is the paper's reading.
Prints a Markdown report (docs/sergio.md; benchmarks/results/cpu_sergio_floor_2026-12-01.md).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import yaml

from activa import config as cfg
from activa.data.format import SCMTable
from activa.data.scm import seed_sequence
from activa.data.simulate import scm_columns, simulate_split
from activa.eval import baseline, effects, references, scoring

METHODS = ("baseline", "no_effect", "truth_resample", "truth_pooled")


def score_family(config: dict, family: str, cell_types: int, n_scm: int, runs: int, networks: dict) -> dict:
    """Scores of ``METHODS`` and the floor statistics of one (family, cell-type count)."""
    config = cfg.deep_merge(config, {"families": {family: {"n_cell_types": cell_types, "splits": {"test": n_scm}}}})
    spec = config["families"][family]
    params, truth = simulate_split(config, family, "test", progress=False, resources=networks)
    truth.meta.update(intervention_values=spec["intervention_values"], split="test")
    adjacency, weights, noise_params, meta = scm_columns(config["families"][family], params)
    scms = SCMTable(adjacency, weights, noise_params, meta)
    pooled = references.truth_pooled(truth, scms, spec, runs, seed_sequence(config["seed"], "truth_pooled", family,
                                                                          "test"), progress=False)
    means = effects.pooled(scms, truth, pooled.means)
    resample = references.truth_resample(truth, scms, spec, seed_sequence(config["seed"], "truth_resample", family,
                                                                          "test"))
    preds = {"baseline": baseline.predict_samples(config, truth, family, "test"),
             "no_effect": references.no_effect(truth), "truth_resample": resample,
             "truth_pooled": pooled.pred}
    out = {"mean_expression": float(truth.samples.mean()), **references.effective_samples(pooled, truth)}
    for method, pred in preds.items():
        frame = scoring.score(truth, pred, config["metrics"], 0, means, progress=False)
        out[method] = {"mmd": frame["mmd"].mean(), "wsd": frame["wsd"].mean(), "erg": frame["erg"].mean(),
                       "desc": frame["desc_err_sum"].sum() / frame["desc_n"].sum(),
                       "nondesc": frame["nondesc_err_sum"].sum() / frame["nondesc_n"].sum()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--families", nargs="+", default=["sergio", "sergio_ood"])
    parser.add_argument("--cell-types", nargs="+", type=int, default=[1, 5, 10])
    parser.add_argument("--scms", type=int, default=300)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--networks", type=Path, default=Path("resources/grn"))
    parser.add_argument("--paper-values", type=Path, default=Path("config/paper_values.yaml"))
    args = parser.parse_args()
    config = cfg.load_config(args.config or [Path("config/config.yaml")])
    published = yaml.safe_load(args.paper_values.read_text())["v2_table1"]["rows"]
    networks = args.networks
    mmd = config["metrics"]["mmd"]
    print(f"{args.scms} test simulations per row, {args.runs} runs pooled, N = the family's samples_per_regime; "
          f"MMD {'unbiased' if mmd['unbiased'] else 'biased'}, kernel scale {mmd['kernel_scale']}; W1; Székely "
          "energy. Baseline cells: ours (ours / published).\n")
    print("| Family | Cell types | Mean expression | N_eff median (inflation) | Baseline MMD / WSD / ERG | no effect "
          "MMD | truth resample MMD / WSD / ERG | truth pooled MMD / WSD / ERG | Desc. error: baseline, resample, "
          "pooled | s |")
    print("|---|---:|---:|---:|---|---:|---|---|---|---:|")
    for family in args.families:
        pub = published[family]["baseline"]
        for cell_types in args.cell_types:
            start = time.perf_counter()
            r = score_family(config, family, cell_types, args.scms, args.runs, networks)
            b = r["baseline"]
            base = " / ".join(f"{b[m]:.2f} ({b[m] / pub[m]:.2f})" for m in ("mmd", "wsd", "erg"))
            floor = {k: " / ".join(f"{r[k][m]:.2f}" for m in ("mmd", "wsd", "erg")) for k in ("truth_resample",
                                                                                               "truth_pooled")}
            print(f"| {config['families'][family]['label']} | {cell_types} | {r['mean_expression']:.2f} | "
                  f"{r['interventional_n_eff_median']:.1f} of {r['n_samples']} ({r['interventional_inflation']:.1f}) "
                  f"| {base} | {r['no_effect']['mmd']:.2f} | {floor['truth_resample']} | {floor['truth_pooled']} | "
                  f"{b['desc']:.2f}, {r['truth_resample']['desc']:.2f}, {r['truth_pooled']['desc']:.2f} | "
                  f"{time.perf_counter() - start:.0f} |", flush=True)
        print(f"| published ({family}) | | | | {pub['mmd']} / {pub['wsd']} / {pub['erg']} | | | | | |")


if __name__ == "__main__":
    main()
