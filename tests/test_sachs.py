"""The Sachs family (activa/data/sachs.py) and the real-data table (activa/eval/real.py) on a small data set written
here in cdt's layout: no download. The download itself (stage sachs-data) is checked by SHA-256 in the pipeline."""

import numpy as np
import pandas as pd
import pytest
import yaml

from activa.config import load_config
from conftest import activa
from activa.data import families, format, grn, sachs
from activa.data.simulate import simulate_split
from activa.eval import real

EDGES = [("PIP2", "PKC"), ("plcg", "PIP2"), ("PIP3", "plcg"), ("PIP2", "PIP3"), ("plcg", "PKC"), ("PKC", "pjnk"),
         ("PKC", "P38"), ("PKA", "P38"), ("PKC", "praf"), ("PKA", "praf"), ("praf", "pmek"), ("pmek", "p44/42"),
         ("PKC", "pmek"), ("PKA", "pakts473"), ("PIP3", "pakts473"), ("PKA", "pmek"), ("PKA", "p44/42"),
         ("PKA", "pjnk")]
SIZES = [60, 40, 50, 44, 46, 48, 52, 40, 40]
N = 8


def write_cells(folder, sizes=SIZES, seed=0):
    """A small data set in cdt's layout: lognormal cells; the U0126 condition (index 5) lowers p44/42 and three other
    proteins by a factor e^-1.5 and raises two by e^1.5."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for c, size in enumerate(sizes):
        x = np.exp(rng.normal(3.0, 0.3, size=(size, 11)))
        if c == 5:
            for protein, sign in (("p44/42", -1), ("praf", -1), ("PKA", -1), ("P38", -1), ("plcg", 1), ("pjnk", 1)):
                x[:, sachs.PROTEINS.index(protein)] *= np.exp(1.5 * sign)
        rows.append(x)
    frame = pd.DataFrame(np.concatenate(rows).round(3), columns=sachs.PROTEINS)
    frame.to_csv(folder / sachs.FILES["cells"][0], index=False)
    pd.DataFrame(EDGES, columns=["Cause", "Effect"]).to_csv(folder / sachs.FILES["consensus network"][0],
                                                            index=False, quoting=1)
    return folder


@pytest.fixture(scope="module")
def setup(tmp_path_factory, root):
    tmp = tmp_path_factory.mktemp("sachs")
    cells = write_cells(tmp / "cells")
    base = load_config([root / "config/config.yaml"])
    conditions = [{"name": c["name"], "cells": n} for c, n in zip(base["families"]["sachs"]["conditions"], SIZES)]
    override = tmp / "sachs.yaml"
    override.write_text(yaml.safe_dump({"families": {"sachs": {"conditions": conditions, "samples_per_regime": N,
                                                               "splits": {"test": 12}}},
                                        "intervals": {"replicates": 200}}))
    paths = [root / "config/config.yaml", root / "config/smoke.yaml", override]
    return load_config(paths), paths, cells


def test_kinds_are_named_and_their_files_agree_with_the_modules_that_write_them():
    assert families.kind_of({"generator": "sachs"}).simulated is False
    with pytest.raises(ValueError, match=r"^generator 'gp' is not a kind of family; expected one of linear, sergio, "
                                         r"sachs$"):
        families.kind_of({"generator": "gp"})
    assert [p.split("/")[-1] for p in families.RESOURCES["networks"]] == [f for f, _ in grn.NETWORK_FILES.values()]
    assert [p.split("/")[-1] for p in families.RESOURCES["sachs-data"]] == [f for f, _ in sachs.FILES.values()]


def test_preprocessing_scales_each_protein_to_the_reference_mean_and_keeps_zero(setup, tmp_path):
    config, _, folder = setup
    spec = config["families"]["sachs"]
    cells = sachs.load(folder, spec)
    reference = cells.of("cd3cd28")
    np.testing.assert_allclose(reference.mean(axis=0), spec["reference_mean"], rtol=1e-12)
    raw = pd.read_csv(folder / sachs.FILES["cells"][0]).to_numpy()
    np.testing.assert_allclose(cells.values, np.log1p(raw) * cells.scale, rtol=1e-12)
    assert cells.values.shape == (sum(SIZES), 11) and (cells.values > 0).all()
    assert cells.adjacency.sum() == len(EDGES) - 1 and not cells.adjacency[3, 4]  # PIP2 -> PIP3 left out


def test_the_consensus_cycle_is_named_and_a_wrong_file_is_refused(setup, tmp_path):
    config, _, folder = setup
    spec = dict(config["families"]["sachs"], drop_edges=[])
    with pytest.raises(format.DataError, match=r"cyto_full_target.csv: the consensus network is not acyclic: plcg, "
                                               r"PIP2, PIP3 lie on a cycle; list one of its edges in drop_edges$"):
        sachs.load(folder, spec)
    spec = dict(config["families"]["sachs"], drop_edges=[["PKA", "PIP3"]])
    with pytest.raises(format.DataError, match=r"^drop_edges: PKA -> PIP3 is not an edge of the consensus network"):
        sachs.load(folder, spec)
    bad = write_cells(tmp_path / "bad", sizes=[s + 1 for s in SIZES])
    with pytest.raises(format.DataError, match=rf"cyto_full_data.csv: {sum(SIZES) + 9} cells, but the conditions of "
                                               rf"the config \(families.<family>.conditions\) add up to {sum(SIZES)}$"):
        sachs.load(bad, config["families"]["sachs"])


def test_fetch_checks_every_file_by_sha256(tmp_path):
    folder = write_cells(tmp_path / "copies")
    with pytest.raises(format.DataError, match=r"cyto_full_data.csv: SHA-256 of the cells file is [0-9a-f]{64}, "
                                               r"expected fc331dcd"):
        sachs.fetch(tmp_path / "out", folder)
    assert not (tmp_path / "out" / "cyto_full_data.csv").exists()


def test_a_split_is_draws_of_the_conditions_cells_reproducibly(setup):
    config, _, folder = setup
    spec = config["families"]["sachs"]
    params, data = simulate_split(config, "sachs", "test", progress=False, resources=folder)
    _, again = simulate_split(config, "sachs", "test", progress=False, resources=folder)
    assert data.digest() == again.digest()
    assert data.samples.shape == (12, 6, N, 11)
    targets = [sachs.PROTEINS.index(p) for p in ("pakts473", "PKC", "PIP2", "pmek", "PIP3")]
    assert data.target.tolist() == [-1, *targets] and (data.value[1:] == 0).all()
    cells = sachs.load(folder, spec)
    for r, name in enumerate(["cd3cd28", *sachs.inhibitors(spec)]):  # every cell is one of its condition's
        pool = {tuple(row) for row in cells.of(name).astype(np.float32)}
        assert all(tuple(row) in pool for row in data.samples[:, r].reshape(-1, 11))
    assert (params.adjacency == cells.adjacency).all()


def test_the_floor_is_the_other_half_and_the_means_are_of_the_drawn_half(setup):
    config, _, folder = setup
    spec = config["families"]["sachs"]
    params, data = simulate_split(config, "sachs", "test", progress=False, resources=folder)
    from activa.data.simulate import family_meta

    data = format.Samples(data.samples, data.target, data.value_index, data.value, data.scm, data.regime,
                          {**family_meta(config, "sachs", "test")})
    adjacency, weights, noise, meta = sachs.scm_columns(params)
    table = format.SCMTable(adjacency, weights, noise, meta)
    other = sachs.draw_truth(data, table, spec, np.random.default_rng(1), folder)
    means, _ = sachs.true_means(table, data, None, 1, folder)
    for s in range(12):
        for r in range(1, 6):
            drawn = {tuple(row) for row in data.samples[s, r]}
            assert not drawn & {tuple(row) for row in other[s, r].astype(np.float32)}  # disjoint halves
    # the measured mean is of half A (the drawn cells' half): the drawn cells are closer to it on average
    assert np.abs(means.mean[:, 1:] - data.samples[:, 1:].mean(axis=2)).mean() < \
        np.abs(means.mean[:, 1:] - other[:, 1:].mean(axis=2)).mean() * 1.5
    np.testing.assert_allclose(means.mean[:, 0], spec["reference_mean"], rtol=1e-6)
    assert means.descendant[0, 4, sachs.PROTEINS.index("p44/42")]  # U0126 on pmek: Erk is a descendant


def test_shift_scores_of_no_effect_and_of_a_perfect_prediction():
    measured = np.array([[1.0, -2.0, 0.5, 3.0]])
    none = real.shift_scores(np.zeros_like(measured), measured)
    assert none["sign"][0] == 0.5 and none["spearman"][0] == 0 and none["shift_err"][0] == pytest.approx(1.625)
    perfect = real.shift_scores(measured, measured)
    assert perfect["sign"][0] == 1 and perfect["spearman"][0] == pytest.approx(1) and perfect["shift_err"][0] == 0
    flipped = real.shift_scores(-measured, measured)
    assert flipped["sign"][0] == 0 and flipped["spearman"][0] == pytest.approx(-1)


def test_the_table_through_the_cli_puts_the_floor_below_no_effect(setup, root, tmp_path):
    _, paths, folder = setup
    cfg = [a for p in paths for a in ("--config", p)]
    samples, scms, means = tmp_path / "t.samples.parquet", tmp_path / "t.scms.parquet", tmp_path / "t.means.parquet"
    steps = [
        ("simulate", "--family", "sachs", "--split", "test", "--out-samples", samples, "--out-scms", scms,
         "--resources", folder, "--no-progress"),
        ("truth-pooled", "--family", "sachs", "--data", samples, "--scms", scms, "--out", tmp_path / "floor.parquet",
         "--out-means", means, "--out-floor", tmp_path / "floor.csv", "--resources", folder, "--no-progress"),
        ("reference", "--method", "no_effect", "--family", "sachs", "--data", samples, "--out",
         tmp_path / "none.parquet", "--no-progress"),
        ("reference", "--method", "oracle_graph", "--family", "sachs", "--data", samples, "--scms", scms, "--out",
         tmp_path / "oracle.parquet", "--no-progress"),
        ("baseline", "--family", "sachs", "--data", samples, "--out", tmp_path / "baseline.parquet"),
    ]
    for step in steps:
        r = activa(root, *step[:1], *cfg, *step[1:])
        assert r.returncode == 0, r.stderr
    table_args = ["real-table", *cfg, "--family", "sachs", "--truth", samples, "--means", means,
                  "--out-prefix", tmp_path / "sachs", "--out-figures", tmp_path / "f.pdf", tmp_path / "f.png", "--pred"]
    r = activa(root, *table_args, tmp_path / "floor.parquet", tmp_path / "baseline.parquet")
    assert r.returncode == 2
    assert "error: real-table: no predictions of 'no_effect' among --pred (the table's no-effect row)" in r.stderr
    assert not (tmp_path / "sachs.csv").exists()
    preds = [tmp_path / f"{m}.parquet" for m in ("floor", "none", "oracle", "baseline")]
    r = activa(root, *table_args, *preds)
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(tmp_path / "sachs.csv")
    assert table.method.unique().tolist() == ["truth_pooled", "no_effect", "baseline", "oracle_graph"]
    assert len(table) == 4 * 6 and (table.draws == 12).all()
    every = table[table.condition == "all"].set_index("method")
    assert (every.loc["truth_pooled", list(real.DISTANCES)] < every.loc["no_effect", list(real.DISTANCES)]).all()
    u0126 = table[table.condition.str.startswith("cd3cd28+U0126")].set_index("method")
    assert u0126.loc["truth_pooled", "shift_err"] < u0126.loc["no_effect", "shift_err"] / 2
    assert u0126.loc["truth_pooled", "sign"] > 0.7 and u0126.loc["truth_pooled", "spearman"] > 0.5
    assert u0126.loc["truth_pooled", "shift_err_better"] and not u0126.loc["no_effect", "shift_err_better"]
    assert "measured, other half (floor)" in (tmp_path / "sachs.md").read_text()
    assert (tmp_path / "f.pdf").stat().st_size > 0 and (tmp_path / "sachs.tex").stat().st_size > 0
