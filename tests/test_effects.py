"""The descendant / non-descendant diagnostic: reachability, closed-form truth, and what it measures."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import simulate_test_split

from activa.data.format import DataError
from activa.eval import effects
from activa.eval.baseline import predict_samples


def test_descendants_is_the_transitive_closure():
    chain = np.zeros((1, 5, 5), np.uint8)
    for i in range(4):
        chain[0, i, i + 1] = 1  # 0 -> 1 -> 2 -> 3 -> 4
    reach = effects.descendants(chain)[0]
    assert np.array_equal(reach, np.triu(np.ones((5, 5), bool), k=1))
    fork = np.zeros((1, 3, 3), np.uint8)
    fork[0, 1, 0] = fork[0, 1, 2] = 1  # 0 <- 1 -> 2: 0 and 2 are not each other's descendants
    assert np.array_equal(effects.descendants(fork)[0], fork[0].astype(bool))


@pytest.fixture(scope="module")
def gauss2():
    return simulate_test_split("gauss2", 400)


def _predictions(truth, samples):
    inter = truth.interventional
    return dataclasses.replace(truth, samples=samples, target=truth.target[inter], value_index=truth.value_index[inter],
                               value=truth.value[inter], regime=truth.regime[inter])


def test_the_exact_means_score_zero_and_the_truth_only_its_sampling_noise(gauss2):
    config, scms, truth = gauss2
    mu = effects.true_means(scms, truth)[:, truth.interventional]
    exact = _predictions(truth, np.repeat(mu[:, :, None, :], 5, axis=2).astype(np.float32))
    errors = effects.mean_errors(effects.closed_form(scms, truth), truth, {"exact": exact}).set_index(["method", "relation"])
    assert errors.loc[("exact", "descendant"), "mean_abs_error"] < 1e-5
    assert errors.loc[("exact", "non-descendant"), "mean_abs_error"] < 1e-5
    # the mean of N = 40 samples of sd ~0.5 is off by about 0.5 * sqrt(2 / pi) / sqrt(40) = 0.063
    noise = errors.loc[(effects.TRUTH, "non-descendant"), "mean_abs_error"]
    assert 0.04 < noise < 0.09
    # ER p = 0.3 on d = 2: P(edge 0 -> 1 survives) = 0.255, so about a quarter of the non-targets are descendants
    pairs = errors.xs(effects.TRUTH)["pairs"]
    assert pairs.sum() == 2 * 400 and 0.18 < pairs["descendant"] / pairs.sum() < 0.33


def test_conditioning_moves_non_descendants_and_edgeless_checks_catch_it(gauss2):
    config, scms, truth = gauss2
    baseline = predict_samples(config, truth, "gauss2", "test")
    errors = effects.mean_errors(effects.closed_form(scms, truth), truth, {"baseline": baseline}).set_index(["method", "relation"])
    assert errors.loc[("baseline", "non-descendant"), "mean_abs_error"] > 5 * errors.loc[
        (effects.TRUTH, "non-descendant"), "mean_abs_error"]
    edgeless = effects.no_edge(scms, truth, {"baseline": baseline}).set_index(["target", "method"])
    n_empty = int((~scms.adjacency.any(axis=(1, 2))).sum())
    assert (edgeless["scms"] == n_empty).all() and 0.4 * 400 < n_empty < 0.6 * 400  # P(no edge) = 0.49
    assert (edgeless.xs("closed form", level="method")["non_target_mean"] == 0).all()  # zero-mean Gaussian noise
    assert (edgeless.xs("baseline", level="method")["abs_shift"] > 3 * edgeless.xs(effects.TRUTH, level="method")[
        "abs_shift"]).all()


def test_predictions_of_other_scms_are_refused(gauss2):
    _, scms, truth = gauss2
    pred = _predictions(truth, truth.samples[:, truth.interventional])
    pred = dataclasses.replace(pred, scm=pred.scm + 1)
    with pytest.raises(DataError, match="^shifted: column 'scm' does not list the same SCMs as the ground truth$"):
        effects.mean_errors(effects.closed_form(scms, truth), truth, {"shifted": pred})


def test_a_method_run_on_a_subset_of_the_scms_is_scored_on_those_only(gauss2):
    _, scms, truth = gauss2
    pred = predict_samples({"seed": 0, "baseline": {"ridge": 1e-6}}, truth, "gauss2", "test")
    rows = np.arange(0, 400, 7)
    part = dataclasses.replace(pred, samples=pred.samples[rows], scm=pred.scm[rows], meta={"scm_subset": len(rows)})
    errors = effects.mean_errors(effects.closed_form(scms, truth), truth, {"baseline": pred, "part": part}).set_index(["method", "relation"])
    sub_scms = dataclasses.replace(scms, adjacency=scms.adjacency[rows], weights=scms.weights[rows],
                                   noise_params=scms.noise_params[rows])
    sub_truth = dataclasses.replace(truth, samples=truth.samples[rows], scm=np.arange(len(rows), dtype=np.int32))
    alone = effects.mean_errors(
        effects.closed_form(sub_scms, sub_truth), sub_truth,
        {"part": dataclasses.replace(part, scm=np.arange(len(rows), dtype=np.int32))}).set_index(["method", "relation"])
    assert errors.loc["part", "pairs"].sum() == 2 * len(rows) < errors.loc["baseline", "pairs"].sum()
    pd.testing.assert_frame_equal(errors.loc["part"], alone.loc["part"])
    text = effects.to_markdown(errors.reset_index(), effects.no_edge(scms, truth, {"part": part}), "Gauss 2")
    assert f"part ({2 * len(rows)} triples: a subset of the SCMs)" in text
