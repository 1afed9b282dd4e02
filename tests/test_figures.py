"""Figures from fixture data: the SCM choice covers every graph kind, files are written, captions are true."""

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
from conftest import simulate_test_split

from activa.data.format import SCMTable
from activa.eval.baseline import predict_samples
from activa.report import figures


@pytest.fixture(scope="module")
def beta2():
    config, scms, truth = simulate_test_split("beta2", 60)
    baseline = predict_samples(config, truth, "beta2", "test")
    return scms, truth, {"baseline": baseline}


def test_choose_scms_covers_every_graph_kind_deterministically(beta2):
    scms, _, _ = beta2
    rows = figures.choose_scms(scms)
    kinds = figures.graph_kind(scms.adjacency)
    assert len(rows) == 4 == len(set(rows)) and set(kinds[rows]) == set(figures.EDGE_KINDS)
    assert rows == figures.choose_scms(scms)
    assert rows[:3] == [int(np.flatnonzero(kinds == k)[0]) for k in figures.EDGE_KINDS]
    assert kinds[figures.choose_example(scms, "Y→X")] == "Y→X"
    negative = figures.choose_example(scms, "Y→X", sign=-1)
    assert kinds[negative] == "Y→X" and scms.weights[negative, 1, 0] < 0
    assert negative == min(i for i in range(len(kinds)) if kinds[i] == "Y→X" and scms.weights[i, 1, 0] < 0)


def test_family_figures_write_pdf_and_png_and_true_captions(beta2, tmp_path):
    scms, truth, preds = beta2
    metrics = {"baseline": pd.DataFrame({"mmd": [0.1, 0.5], "wsd": [1.0, 2.0], "erg": [0.5, 3.0]})}
    assert figures.family_figures("summary", scms, truth, preds, metrics, tmp_path, "beta2", "Beta 2") is None
    assert figures.family_figures("ecdf", None, None, {}, metrics, tmp_path, "beta2", "Beta 2") is None  # metrics only
    captions = figures.family_figures("scatter", scms, truth, preds, metrics, tmp_path, "beta2", "Beta 2")
    for kind in ("ecdf", "summary", "scatter"):
        for name in figures.FIGURE_SETS[kind]:
            assert (tmp_path / f"beta2_{name}.pdf").read_bytes().startswith(b"%PDF")
            assert (tmp_path / f"beta2_{name}.png").read_bytes().startswith(b"\x89PNG")
    # the caption's means are the data's: E[Y | do(X=5)] of the ground truth for the first no-edge SCM
    row = figures.choose_example(scms, "no edge")
    r = int(np.flatnonzero(truth.target == 0)[0])
    expected = f"Ground truth E[Y | do(X=5)] = {truth.samples[row, r, :, 1].mean():.2f}"
    section = captions.split("## beta2_example_no_edge")[1]
    assert expected in section
    b = int(np.flatnonzero(preds["baseline"].target == 1)[0])
    assert f"Conditional baseline E[Y | do(X=5)] = {preds['baseline'].samples[row, 0, :, 1].mean():.2f}, " \
           f"E[X | do(Y=5)] = {preds['baseline'].samples[row, b, :, 0].mean():.2f}" in section
    assert re.search(r"SCM \d+: no edge \(observational mean \(", section)


def test_figures_refuse_wrong_inputs(beta2, tmp_path):
    scms, truth, preds = beta2
    with pytest.raises(ValueError, match=r"^truth: the scatter figures need two variables, got d = 3$"):
        three = dataclasses.replace(truth, samples=np.zeros(truth.samples.shape[:3] + (3,), np.float32))
        figures.interventional_scatter(three, {}, scms, [0], [tmp_path / "x.png"])
    shifted = dataclasses.replace(preds["baseline"], scm=preds["baseline"].scm + 1)
    with pytest.raises(ValueError, match=r"^preds\['baseline'\]: its SCMs are not the ground truth's$"):
        figures.interventional_scatter(truth, {"baseline": shifted}, scms, [0], [tmp_path / "x.png"])
    fewer = SCMTable(scms.adjacency[:10], scms.weights[:10], scms.noise_params[:10], scms.meta)
    with pytest.raises(ValueError, match=r"^scms: 10 SCMs of 2 variables, the ground truth has 60 of 2$"):
        figures.interventional_scatter(truth, preds, fewer, [0], [tmp_path / "x.png"])
    with pytest.raises(ValueError, match=r"^scms: 10 SCMs"):
        figures.mean_calibration(fewer, truth, preds, [tmp_path / "x.png"], "Beta 2")
    with pytest.raises(ValueError, match=r"^rows: expected SCM rows in 0\.\.59, got \[60\]$"):
        figures.interventional_scatter(truth, preds, scms, [60], [tmp_path / "x.png"])
    with pytest.raises(ValueError, match=r"^preds\['baseline'\]: its SCMs are not the ground truth's$"):
        figures.mean_calibration(scms, truth, {"baseline": shifted}, [tmp_path / "x.png"], "Beta 2")
    with pytest.raises(ValueError, match=r"^frames\['activa'\]: expected columns mmd, wsd, erg .*; lacks erg$"):
        figures.metric_distributions({"activa": pd.DataFrame({"mmd": [0.1], "wsd": [1.0]})}, [tmp_path / "x.png"],
                                     "Beta 2")
    with pytest.raises(ValueError, match=r"^adjacency: expected shape \[S, 2, 2\]"):
        figures.choose_scms(SCMTable(np.zeros((3, 3, 3), np.uint8), np.zeros((3, 3, 3)), scms.noise_params[:3], {}))
    with pytest.raises(ValueError, match=r"^kind: expected one of ecdf, summary, scatter, got 'all'$"):
        figures.family_figures("all", scms, truth, preds, {}, tmp_path, "beta2", "Beta 2")
    assert not list(tmp_path.iterdir())
