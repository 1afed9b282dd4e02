"""Table 1 from small fixture metric files: rows, columns, dashes for what is not computed, LaTeX syntax."""

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from activa.eval import scoring, spread
from activa.report import tables

ROWS = [{"key": "gauss2", "label": "Gauss 2"}, {"key": "beta_8", "label": "Beta_8"}, {"key": "ood", "label": "OOD"}]


def fixture_metrics(path, method, family, values, scm=None):
    """A metrics file of one pair per SCM (``scm``: the pairs' SCMs); effect columns default to error 0 on one
    descendant and one non-descendant per pair, calibration columns to placeholders Table 1 does not read."""
    n = len(values["mmd"])
    effects = {"desc_err_sum": np.zeros(n), "desc_n": np.ones(n, np.int16), "nondesc_err_sum": np.zeros(n),
               "nondesc_n": np.ones(n, np.int16)}
    frame = pd.DataFrame({"scm": np.arange(n, dtype=np.int32) if scm is None else np.asarray(scm, np.int32),
                          "regime": np.ones(n, np.int16), "target": np.zeros(n, np.int16),
                          "value_index": np.zeros(n, np.int16),
                          **{k: np.asarray(v, float) for k, v in values.items() if k not in effects},
                          **{k: np.asarray(values.get(k, v), v.dtype) for k, v in effects.items()},
                          "energy_score": np.zeros(n), **{c: np.ones(n) for c in spread.SPREAD_COLUMNS},
                          **{c: np.zeros(n, np.int32) for c in spread.PIT_COLUMNS}})
    scoring.write_metrics(path, frame, {"method": method, "family": family})
    return path


INTERVALS = {"replicates": 500, "level": 0.95, "alpha": 0.05}
# 12 SCMs: ACTIVA's MMD below the baseline's on every SCM (Wilcoxon p = 2^-12), its WSD above on every SCM, its
# ERG above on half and below on half: bold MMD for ACTIVA, bold WSD for the baseline, no bold ERG.
BASE = {"mmd": [0.5, 0.7] * 6, "wsd": [2.0, 4.0] * 6, "erg": [1.0, 2.0] * 6, "p_value": [0.0, 0.1] * 6}
ACT = {"mmd": [0.2, 0.2] * 6, "wsd": [5.0, 5.0] * 6, "erg": [0.5, 2.5] * 6, "p_value": [0.3, 0.3] * 6}


@pytest.fixture
def files(tmp_path):
    return {
        ("baseline", "gauss2"): fixture_metrics(tmp_path / "b_g2.parquet", "baseline", "gauss2", BASE),
        ("baseline", "beta_8"): fixture_metrics(tmp_path / "b_b8.parquet", "baseline", "beta_8", BASE),
        ("activa", "gauss2"): fixture_metrics(tmp_path / "a_g2.parquet", "activa", "gauss2", ACT),
    }


def test_collect_means_intervals_tests_and_missing_cells(files):
    table = tables.collect(ROWS, files, tables.METHODS, INTERVALS, 0)
    assert table["data"].tolist() == ["Gauss 2", "Beta_8", "OOD"]
    row = table.iloc[0]
    assert (row.baseline_mmd, row.baseline_wsd, row.baseline_erg) == pytest.approx((0.6, 3.0, 1.5))
    assert (row.activa_mmd, row.activa_wsd) == pytest.approx((0.2, 5.0))
    assert row.baseline_mmd_lo < 0.6 < row.baseline_mmd_hi and 0.5 <= row.baseline_mmd_lo
    assert row.activa_mmd_lo == row.activa_mmd_hi == pytest.approx(0.2)  # every SCM scores the same
    assert row.activa_mmd_p == pytest.approx(2.0**-12) and row.baseline_wsd_p == pytest.approx(2.0**-12)
    assert row.activa_wsd_p > 0.5 and min(row.activa_erg_p, row.baseline_erg_p) > 0.05
    assert np.isnan(table.iloc[1].activa_mmd) and np.isnan(table.iloc[1].baseline_mmd_p)  # nothing to test against
    assert table.iloc[2][["baseline_mmd", "activa_erg", "activa_erg_lo"]].isna().all()
    assert table.baseline_pairs.tolist() == [12, 12, 0]
    again = tables.collect(ROWS, files, tables.METHODS, INTERVALS, 0)
    pd.testing.assert_frame_equal(table, again)  # seeded bootstrap


def test_markdown_layout_bold_and_dashes(files):
    md = tables.to_markdown(tables.collect(ROWS, files, tables.METHODS, INTERVALS, 0), INTERVALS)
    lines = md.splitlines()
    assert lines[0] == ("| Data | ACTIVA MMD | ACTIVA WSD | ACTIVA ERG | Baseline MMD | Baseline WSD | Baseline ERG | "
                        "Desc. ACTIVA | Desc. Baseline | Non-desc. ACTIVA | Non-desc. Baseline |")
    assert re.match(r"\| Gauss 2 \| \*\*0\.20\*\* ± 0\.000 \| 5\.0 ± 0\.00 \| 1\.5 ± 0\.\d\d \| "
                        r"0\.60 ± 0\.0\d\d \| \*\*3\.0\*\* ± 0\.\d\d \| 1\.5 ± 0\.\d\d \|", lines[2]), lines[2]
    assert re.match(r"\| Beta_8 \| – \| – \| – \| 0\.60 ± 0\.0\d\d \| 3\.0 ± 0\.\d\d \| 1\.5 ± 0\.\d\d \|",
                        lines[3]), lines[3]  # one method only: nothing to test, nothing bold
    assert lines[4] == "| OOD |" + " – |" * 10
    assert "95% bootstrap interval (test SCMs resampled, 500 times)" in md and "p < 0.05" in md


def test_latex_is_balanced_and_escaped(files, tmp_path):
    tex = tables.to_latex(tables.collect(ROWS, files, tables.METHODS, INTERVALS, 0), INTERVALS)
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 1
    assert tex.count("{") == tex.count("}")
    assert r"Beta\_8" in tex and "Beta_8" not in tex.replace(r"\_", "")
    body = [l for l in tex.splitlines() if l.endswith(r"\\") and not l.startswith(("Data", " &"))]
    assert all(l.count("&") == 10 for l in body)
    assert re.search(r"Gauss 2 & \\textbf\{0\.20\}\\,\{\\scriptsize\$\\pm\$0\.000\} & 5\.0", tex)
    if shutil.which("pdflatex"):
        doc = tmp_path / "t.tex"
        doc.write_text("\\documentclass{article}\\usepackage{booktabs}\\begin{document}" + tex + "\\end{document}")
        result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-2000:]


def test_write_table_writes_three_formats(files, tmp_path):
    paths = tables.write_table(tables.collect(ROWS, files, tables.METHODS, INTERVALS, 0), tmp_path / "out" / "table1",
                               INTERVALS)
    assert [p.name for p in paths] == ["table1.csv", "table1.md", "table1.tex"]
    csv = pd.read_csv(paths[0])
    assert list(csv.columns[:2]) == ["key", "data"] and csv.loc[2, "baseline_mmd"] != csv.loc[2, "baseline_mmd"]
    assert {"activa_mmd_lo", "activa_mmd_hi", "activa_mmd_p", "baseline_erg_hi"} <= set(csv.columns)


V1_SPEC = {"title": "v1 Table 1: two variables", "note": "Data: fixture.",
           "rows": [{"key": "gauss2", "label": "Gaussian", "methods": {"baseline": "baseline", "activa": "ACTIVA"}},
                    {"key": "beta_8", "label": "Beta_8", "methods": {"baseline": "baseline", "activa": "ACTIVA"}}]}


def test_v1_layout_rows_means_p_and_bold(files, tmp_path):
    table, versus = tables.collect_v1(V1_SPEC, files, INTERVALS, 0)
    assert versus.empty  # no reference method in these files
    assert list(zip(table.group, table.label)) == [("Gaussian", "baseline"), ("Gaussian", "ACTIVA"),
                                                   ("Beta_8", "baseline"), ("Beta_8", "ACTIVA")]
    assert table.iloc[0][["mmd", "wsd", "erg", "p_value"]].tolist() == pytest.approx([0.6, 3.0, 1.5, 0.05])
    assert table.iloc[3][["mmd", "p_value"]].isna().all() and table.pairs.tolist() == [12, 12, 12, 0]
    md = tables.v1_to_markdown(table, V1_SPEC, INTERVALS)
    assert re.search(r"\| Gaussian \| baseline \| 12 \| 0\.60 ± 0\.0\d\d \| \*\*3\.00\*\* ± 0\.\d\d\d \| "
                     r"1\.50 ± 0\.\d\d\d \| 0\.050 \|", md)
    assert "|  | ACTIVA | 12 | **0.20** ± 0.000 | 5.00 ± 0.000 | 1.50 ± 0.500 | 0.300 |" in md
    assert re.search(r"\| Beta_8 \| baseline \| 12 \| 0\.60 ± 0\.0\d\d \| 3\.00 ± ", md)  # one method only: no bold
    assert "|  | ACTIVA | – | – | – | – | – |" in md
    tex = tables.v1_to_latex(table, V1_SPEC, INTERVALS)
    assert re.search(r"Beta\\_8 & baseline & 12 & 0\.60\\,\{\\scriptsize\$\\pm\$0\.0\d\d\} & ", tex)
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 1 and tex.count("{") == tex.count("}")
    if shutil.which("pdflatex"):
        doc = tmp_path / "v1.tex"
        doc.write_text("\\documentclass{article}\\usepackage{booktabs}\\begin{document}" + tex + "\\end{document}")
        result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-2000:]
    paths = tables.write_v1_table(table, tmp_path / "v1_table1", V1_SPEC, INTERVALS)
    assert [p.name for p in paths] == ["v1_table1.csv", "v1_table1.md", "v1_table1.tex"]


def test_training_cost_says_which_device_and_jax_trained_each_model():
    from activa.report.tables import trained_on

    env = {"python": "3.12.3", "jax": "0.11.2", "jaxlib": "0.11.2", "flax": "0.12.10", "optax": "0.2.8",
           "numpy": "2.5.2", "backend": "gpu", "device": "NVIDIA H200"}
    assert trained_on({"written_by": env}) == "NVIDIA H200, JAX 0.11.2"
    assert trained_on({"written_by": {**env, "backend": "cpu", "device": "cpu", "jax": "0.10.2"}}) == "cpu, JAX 0.10.2"
    assert trained_on({}) == "not recorded"


def test_references_table_gap_closed_and_the_dowhy_subset(tmp_path):
    from activa.report import references_table as rt

    scores = {"no_effect": 0.9, "baseline": 0.8, "paper_baseline": 1.2, "activa": 0.5, "oracle_graph": 0.4,
              "dowhy_gcm": 0.45, "truth_resample": 0.1, "truth_pooled": 0.08, "eqvar": 0.6}
    files = {}
    for method, level in scores.items():
        n = 6 if method == "dowhy_gcm" else 12
        values = {m: [level + 0.01 * (i % 3) for i in range(n)] for m in ("mmd", "wsd", "erg")}
        values["p_value"] = [0.5] * n
        files[(method, "gauss2")] = fixture_metrics(tmp_path / f"{method}.parquet", method, "gauss2", values)
    # pc_mec on 3 SCMs only, fewer than dowhy_gcm's 6: in scope "all", absent from the DoWhy subset
    values = {m: [0.7] * 3 for m in ("mmd", "wsd", "erg")}
    files[("pc_mec", "gauss2")] = fixture_metrics(tmp_path / "pc_mec.parquet", "pc_mec", "gauss2",
                                                  {**values, "p_value": [0.5] * 3})
    # on beta_8 the oracle is worse than the baseline: no gap to close
    for method, level in (("baseline", 0.8), ("activa", 0.5), ("oracle_graph", 0.85)):
        values = {m: [level + 0.01 * (i % 3) for i in range(12)] for m in ("mmd", "wsd", "erg")}
        values["p_value"] = [0.5] * 12
        files[(method, "beta_8")] = fixture_metrics(tmp_path / f"b8_{method}.parquet", method, "beta_8", values)
    table, versus = rt.collect(ROWS, files, INTERVALS, 0)
    full = table[table.scope == "all"].set_index(["key", "method"])
    # eqvar sees the observational samples only: set against ACTIVA, 0.1 above it on every SCM
    against = versus.set_index("method").loc["eqvar"]
    assert against["mmd"] == pytest.approx(0.1) and against["mmd_p_higher"] < 0.05 < against["mmd_p_lower"]
    assert set(versus["method"]) == {"eqvar", "pc_mec"} and against["scms"] == 12
    assert full.loc[("gauss2", "pc_mec"), "scms"] == 3
    assert full.loc[("gauss2", "activa"), "gap_closed_mmd"] == pytest.approx((0.81 - 0.51) / (0.81 - 0.41))
    assert np.isnan(full.loc[("beta_8", "activa"), "gap_closed_mmd"])
    assert full.loc[("gauss2", "dowhy_gcm"), "scms"] == 6 and full.loc[("gauss2", "baseline"), "scms"] == 12
    subset = table[table.scope == "dowhy subset"]
    assert set(subset.key) == {"gauss2"} and (subset.scms == 6).all() and len(subset) == 9
    assert "pc_mec" not in set(subset.method)
    assert list(full.loc["gauss2"].index) == ["no_effect", "baseline", "paper_baseline", "activa", "pc_mec", "eqvar",
                                              "oracle_graph", "dowhy_gcm", "truth_resample", "truth_pooled"]
    floors = pd.DataFrame([{"family": "gauss2", "n_samples": 40, "runs": 20, "interventional_triples": 10,
                            "interventional_inflation": 1.02, "interventional_n_eff_q1": 30.0,
                            "interventional_n_eff_median": 41.0, "interventional_n_eff_q3": 55.0,
                            "observational_triples": 10, "observational_inflation": 0.98,
                            "observational_n_eff_q1": 30.0, "observational_n_eff_median": 40.5,
                            "observational_n_eff_q3": 55.0}])
    md = rt.to_markdown(table, INTERVALS, floors, versus)
    assert "|  | equal-variance order | ACTIVA | 12 | +0.10 ± 0.00† |" in md
    assert "| Gauss 2 | PC + its class | ACTIVA | 3 | +0.19 ± 0.01 |" in md
    assert "|  | gap closed by ACTIVA |  | 75% | 75% | 75% |  |" in md and "**Every method on DoWhy GCM's subset" in md
    assert "| Gauss 2 | 40 | 20 | 41.0 (30.0-55.0) | 1.02 | 40.5 | 0.98 |" in md
    tex = rt.to_latex(table, INTERVALS)
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 2 and tex.count("{") == tex.count("}")
    assert r"75\%" in tex


def test_effect_cells_are_means_over_triples_with_intervals_and_paired_tests(tmp_path):
    # 12 SCMs; the baseline errs by 1.0 on each descendant, ACTIVA by 0.5; SCM 0 has no descendant (its pair
    # counts 0) and SCMs 1-3 have three each, so the cell is sum / count over triples, not a mean of pair means
    n_desc = np.array([0, 3, 3, 3] + [1] * 8, np.int16)
    values = {m: [0.5] * 12 for m in ("mmd", "wsd", "erg", "p_value")}
    files = {}
    for method, error in (("baseline", 1.0), ("activa", 0.5)):
        desc = np.where(np.arange(12) < 4, error * 1.5, error) * n_desc  # SCMs 0-3 err 1.5 x more per triple
        files[(method, "gauss2")] = fixture_metrics(tmp_path / f"{method}.parquet", method, "gauss2", {
            **values, "desc_err_sum": desc, "desc_n": n_desc, "nondesc_err_sum": np.full(12, 2.0 * error),
            "nondesc_n": np.full(12, 2, np.int16)})
    row = tables.collect(ROWS[:1], files, tables.METHODS, INTERVALS, 0).iloc[0]
    assert row.baseline_desc == pytest.approx((1.5 * 9 + 8) / 17) and row.activa_desc == pytest.approx(
        0.5 * (1.5 * 9 + 8) / 17)
    assert row.baseline_nondesc == pytest.approx(1.0) and row.activa_nondesc == pytest.approx(0.5)
    assert row.activa_desc_lo < row.activa_desc < row.activa_desc_hi
    assert row.activa_desc_p == pytest.approx(2.0**-11) and row.activa_desc_better  # 11 SCMs with descendants
    assert row.activa_nondesc_p == pytest.approx(2.0**-12) and not row.baseline_desc_better
