"""Table 1 from small fixture metric files: rows, columns, dashes for what is not computed, LaTeX syntax."""

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from activa.eval import scoring
from activa.report import tables

ROWS = [{"key": "gauss2", "label": "Gauss 2"}, {"key": "beta_8", "label": "Beta_8"}, {"key": "ood", "label": "OOD"}]


def fixture_metrics(path, method, family, values):
    n = len(values["mmd"])
    frame = pd.DataFrame({"scm": np.arange(n, dtype=np.int32), "regime": np.ones(n, np.int16),
                          "target": np.zeros(n, np.int16), "value_index": np.zeros(n, np.int16),
                          **{k: np.asarray(v, float) for k, v in values.items()}})
    scoring.write_metrics(path, frame, {"method": method, "family": family})
    return path


@pytest.fixture
def files(tmp_path):
    base = {"mmd": [0.5, 0.7], "wsd": [2.0, 4.0], "erg": [1.0, 2.0], "p_value": [0.0, 0.1]}
    act = {"mmd": [0.2, 0.2], "wsd": [5.0, 5.0], "erg": [0.5, 0.5], "p_value": [0.3, 0.3]}
    return {
        ("baseline", "gauss2"): fixture_metrics(tmp_path / "b_g2.parquet", "baseline", "gauss2", base),
        ("baseline", "beta_8"): fixture_metrics(tmp_path / "b_b8.parquet", "baseline", "beta_8", base),
        ("activa", "gauss2"): fixture_metrics(tmp_path / "a_g2.parquet", "activa", "gauss2", act),
    }


def test_collect_means_and_missing_cells(files):
    table = tables.collect(ROWS, files)
    assert table["data"].tolist() == ["Gauss 2", "Beta_8", "OOD"]
    row = table.iloc[0]
    assert (row.baseline_mmd, row.baseline_wsd, row.baseline_erg) == pytest.approx((0.6, 3.0, 1.5))
    assert (row.activa_mmd, row.activa_wsd) == pytest.approx((0.2, 5.0))
    assert np.isnan(table.iloc[1].activa_mmd) and table.iloc[2][["baseline_mmd", "activa_erg"]].isna().all()
    assert table.baseline_pairs.tolist() == [2, 2, 0]


def test_markdown_layout_bold_and_dashes(files):
    md = tables.to_markdown(tables.collect(ROWS, files))
    lines = md.splitlines()
    assert lines[0] == "| Data | ACTIVA MMD | ACTIVA WSD | ACTIVA ERG | Baseline MMD | Baseline WSD | Baseline ERG |"
    assert lines[2] == "| Gauss 2 | **0.20** | 5.0 | **0.5** | 0.60 | **3.0** | 1.5 |"
    assert lines[3] == "| Beta_8 | – | – | – | 0.60 | 3.0 | 1.5 |"  # one method only: nothing to bold
    assert lines[4] == "| OOD | – | – | – | – | – | – |"


def test_latex_is_balanced_and_escaped(files, tmp_path):
    tex = tables.to_latex(tables.collect(ROWS, files))
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 1
    assert tex.count("{") == tex.count("}")
    assert r"Beta\_8" in tex and "Beta_8" not in tex.replace(r"\_", "")
    body = [l for l in tex.splitlines() if l.endswith(r"\\") and not l.startswith(("Data", " &"))]
    assert all(l.count("&") == 6 for l in body)
    assert re.search(r"Gauss 2 & \\textbf\{0\.20\} & 5\.0 & \\textbf\{0\.5\} & 0\.60 & \\textbf\{3\.0\} & 1\.5", tex)
    if shutil.which("pdflatex"):
        doc = tmp_path / "t.tex"
        doc.write_text("\\documentclass{article}\\usepackage{booktabs}\\begin{document}" + tex + "\\end{document}")
        result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-2000:]


def test_write_table_writes_three_formats(files, tmp_path):
    paths = tables.write_table(tables.collect(ROWS, files), tmp_path / "out" / "table1")
    assert [p.name for p in paths] == ["table1.csv", "table1.md", "table1.tex"]
    csv = pd.read_csv(paths[0])
    assert list(csv.columns[:2]) == ["key", "data"] and csv.loc[2, "baseline_mmd"] != csv.loc[2, "baseline_mmd"]


V1_SPEC = {"title": "v1 Table 1: two variables", "note": "Data: fixture.",
           "rows": [{"key": "gauss2", "label": "Gaussian", "methods": {"baseline": "baseline", "activa": "ACTIVA"}},
                    {"key": "beta_8", "label": "Beta_8", "methods": {"baseline": "baseline", "activa": "ACTIVA"}}]}


def test_v1_layout_rows_means_p_and_bold(files, tmp_path):
    table = tables.collect_v1(V1_SPEC, files)
    assert list(zip(table.group, table.label)) == [("Gaussian", "baseline"), ("Gaussian", "ACTIVA"),
                                                   ("Beta_8", "baseline"), ("Beta_8", "ACTIVA")]
    assert table.iloc[0][["mmd", "wsd", "erg", "p_value"]].tolist() == pytest.approx([0.6, 3.0, 1.5, 0.05])
    assert table.iloc[3][["mmd", "p_value"]].isna().all() and table.pairs.tolist() == [2, 2, 2, 0]
    md = tables.v1_to_markdown(table, V1_SPEC)
    assert "| Gaussian | baseline | 0.60 | **3.00** | 1.50 | 0.050 |" in md
    assert "|  | ACTIVA | **0.20** | 5.00 | **0.50** | 0.300 |" in md
    assert "| Beta_8 | baseline | 0.60 | 3.00 | 1.50 | 0.050 |" in md  # one method only: nothing bold
    assert "|  | ACTIVA | – | – | – | – |" in md
    tex = tables.v1_to_latex(table, V1_SPEC)
    assert r"Beta\_8 & baseline & 0.60 & 3.00 & 1.50 & 0.050 \\" in tex
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 1
    if shutil.which("pdflatex"):
        doc = tmp_path / "v1.tex"
        doc.write_text("\\documentclass{article}\\usepackage{booktabs}\\begin{document}" + tex + "\\end{document}")
        result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-2000:]
    paths = tables.write_v1_table(table, tmp_path / "v1_table1", V1_SPEC)
    assert [p.name for p in paths] == ["v1_table1.csv", "v1_table1.md", "v1_table1.tex"]


def test_training_cost_says_which_device_and_jax_trained_each_model():
    from activa.report.tables import trained_on

    env = {"python": "3.12.3", "jax": "0.11.2", "jaxlib": "0.11.2", "flax": "0.12.10", "optax": "0.2.8",
           "numpy": "2.5.2", "backend": "gpu", "device": "NVIDIA H200"}
    assert trained_on({"written_by": env}) == "NVIDIA H200, JAX 0.11.2"
    assert trained_on({"written_by": {**env, "backend": "cpu", "device": "cpu", "jax": "0.10.2"}}) == "cpu, JAX 0.10.2"
    assert trained_on({}) == "not recorded"
