"""The registry of reference methods (activa/eval/methods.py), and docs/methods.md's worked example: a method
defined outside the package, named in the config, scored and tabled like every method."""

import pandas as pd
import pytest
import yaml
from conftest import ROOT

from activa.cli import main
from activa.eval import methods


def test_every_registered_method_loads_and_sees_one_of_the_three_inputs():
    registry = methods.registry({})
    assert list(registry)[:2] == ["no_effect", "paper_baseline"]
    for method in registry.values():
        assert method.sees in methods.SEES and set(method.tables) <= set(methods.TABLES)
        if method.predict is not None:
            assert callable(method.load())
    observational = {m.name for m in registry.values() if m.sees == "observational"}
    assert {"pc_mec", "ges_mec", "lingam", "eqvar"} <= observational and "oracle_graph" not in observational


def test_an_external_method_may_not_take_a_name_in_use():
    with pytest.raises(ValueError, match=r"^references.external: method name 'eqvar' is taken$"):
        methods.registry({"external": {"eqvar": {"file": "x.py", "label": "x", "sees": "observational",
                                                 "tables": ["table1"]}}})


def test_table_order_puts_observational_methods_before_graph_and_truth():
    order = methods.table_order(["truth_pooled", "mine", "oracle_graph", "activa", "eqvar", "baseline", "no_effect"],
                                {"mine": "graph"})
    assert order == ["no_effect", "baseline", "activa", "eqvar", "oracle_graph", "mine", "truth_pooled"]


def test_the_worked_example_runs_end_to_end_on_the_smoke_config(tmp_path, capsys):
    """docs/methods.md: sortnregress in docs/examples/sortnregress.py, named in config/smoke.yaml's
    references.external, predicted, scored and in table1_references with its label, set against the baseline."""
    cfg = ["--config", str(ROOT / "config/config.yaml"), "--config", str(ROOT / "config/smoke.yaml")]
    data, scms = str(tmp_path / "test.samples.parquet"), str(tmp_path / "test.scms.parquet")
    means = str(tmp_path / "test.means.parquet")
    assert main(["simulate", *cfg, "--family", "gauss2", "--split", "test", "--no-progress",
                 "--out-samples", data, "--out-scms", scms]) == 0
    assert main(["truth-pooled", *cfg, "--family", "gauss2", "--data", data, "--scms", scms, "--no-progress",
                 "--out", str(tmp_path / "pooled.parquet"), "--out-means", means,
                 "--out-floor", str(tmp_path / "floor.csv")]) == 0
    source = str(ROOT / "docs/examples/sortnregress.py")
    assert main(["reference", *cfg, "--method", "sortnregress", "--family", "gauss2", "--data", data,
                 "--out", str(tmp_path / "x.parquet")]) == 2
    assert "pass it as --source" in capsys.readouterr().err
    assert main(["reference", *cfg, "--method", "sortnregress", "--family", "gauss2", "--data", data,
                 "--source", source, "--out", str(tmp_path / "sortnregress.parquet"), "--no-progress"]) == 0
    assert main(["baseline", *cfg, "--family", "gauss2", "--data", data, "--out", str(tmp_path / "baseline.parquet")]) == 0
    scored = []
    for method in ("sortnregress", "baseline"):
        scored.append(str(tmp_path / f"m_{method}.parquet"))
        assert main(["metrics", *cfg, "--family", "gauss2", "--method", method, "--truth", data, "--pred",
                     str(tmp_path / f"{method}.parquet"), "--means", means, "--out", scored[-1], "--no-progress"]) == 0
    assert main(["table", *cfg, "--name", "table1_references", "--metrics", *scored,
                 "--out-prefix", str(tmp_path / "refs")]) == 0
    table = pd.read_csv(tmp_path / "refs.csv")
    row = table[(table.method == "sortnregress") & (table.scope == "all")].iloc[0]
    assert row.label == "sort by variance + regress" and row.scms == 16 and row.mmd_lo <= row.mmd <= row.mmd_hi
    assert "| sort by variance + regress | 16 |" in (tmp_path / "refs.md").read_text()
    spec = yaml.safe_load((ROOT / "config/smoke.yaml").read_text())["references"]["external"]["sortnregress"]
    assert spec["file"] == "docs/examples/sortnregress.py" and spec["sees"] == "observational"
