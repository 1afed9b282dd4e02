"""The calibration report: candidate bookkeeping, ranking and verdicts on hand-made numbers."""

import numpy as np
import pandas as pd

from activa.eval import calibration

PUBLISHED = {"a": {"baseline": {"mmd": 1.0, "wsd": 10.0, "erg": 4.0}},
             "b": {"baseline": {"mmd": 0.5, "wsd": 20.0, "erg": 8.0}}}


def test_configured_names_find_the_grid_entry():
    config = {"mmd": dict(squared=False, unbiased=False, bandwidth="median_pooled", kernel_scale="sigma2"),
              "wsd": dict(p=2, power=True, mass="probability"), "erg": dict(form="scaled", unbiased=True)}
    assert calibration.configured_names(config) == {"mmd": "mmd_b_median_pooled_sigma2", "wsd": "w2sq",
                                                    "erg": "energy_scaled_u"}


def test_candidate_scores_cover_the_grid_and_are_consistent():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 10, 3)), rng.standard_normal((5, 10, 3)) + 1.0
    scores = calibration.candidate_scores(x, y, chunk_size=2, progress=False)
    expected = ({f"mmd:{k}" for k in calibration.MMD_CANDIDATES} | {f"wsd:{k}" for k in calibration.WSD_CANDIDATES}
                | {f"erg:{k}" for k in calibration.ERG_CANDIDATES}
                | {"wsd:w1_coord_sum", "wsd:w1_coord_mean", "erg:energy_sqrt_v", "erg:energy_scipy_coord_sum",
                   "erg:energy_scipy_coord_mean"})
    assert set(scores) == expected
    assert np.allclose(scores["wsd:w1_counts"], 10 * scores["wsd:w1"])
    assert np.allclose(scores["wsd:w2sq"], scores["wsd:w2"] ** 2)
    assert np.allclose(scores["erg:energy_half_v"], scores["erg:energy_szekely_v"] / 2)
    assert np.allclose(scores["erg:energy_scaled_v"], 5 * scores["erg:energy_szekely_v"])
    assert np.allclose(scores["mmd:mmd2_b_median_pooled_sigma2"], scores["mmd:mmd_b_median_pooled_sigma2"] ** 2)
    assert np.allclose(scores["wsd:w1_coord_sum"], 3 * scores["wsd:w1_coord_mean"])


def frame_of(values):
    rows = [{"jitter_std": 0.1, "family": f, "metric": m, "candidate": c, "ours": v}
            for (f, m, c), v in values.items()]
    return calibration.compare(pd.DataFrame(rows), PUBLISHED)


def test_ranking_prefers_the_candidate_that_matches():
    frame = frame_of({("a", "mmd", "good"): 1.0, ("b", "mmd", "good"): 0.55,
                      ("a", "mmd", "bad"): 3.0, ("b", "mmd", "bad"): 0.1})
    ranking = calibration.rank(frame)
    assert ranking.candidate.tolist() == ["good", "bad"]
    assert np.isclose(ranking.abs_log10_ratio[0], np.log10(1.1) / 2)


def test_report_verdicts():
    values = {}
    for f in ("a", "b"):
        pub = PUBLISHED[f]["baseline"]
        values[(f, "mmd", "mmd_b_median_pooled_sigma2")] = pub["mmd"] * 1.1  # within 1.5: pinned
        values[(f, "wsd", "w1")] = pub["wsd"] / 4  # off by 4: not pinned
        values[(f, "erg", "energy_szekely_v")] = pub["erg"] * 1.2
    frame = frame_of(values)
    configured = {"mmd": "mmd_b_median_pooled_sigma2", "wsd": "w1", "erg": "energy_szekely_v"}
    text = calibration.report(frame, pd.DataFrame(), ["a", "b"], {"a": "A", "b": "B"}, configured, 0.1, "test")
    assert "- MMD: best `mmd_b_median_pooled_sigma2` with jitter sd 0.1 (off by a factor 1.10 on average)" in text
    assert "pinned: the best candidate is within a factor 1.5 on average" in text
    assert "- WSD: best `w1` with jitter sd 0.1 (off by a factor 4.00 on average); configured `w1` (factor 4.00). not pinned" in text
    assert "| **w1** (configured) | 0.1 | 0.602 | 2.5 (0.25) | 5 (0.25) |" in text


def test_coordinate_w1_is_scipys_one_dimensional_distance():
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((4, 12, 3)), rng.gamma(2.0, size=(4, 12, 3))
    w1 = calibration.coordinate_w1(x, y, chunk_size=2)
    assert np.allclose(w1, [[wasserstein_distance(x[p, :, j], y[p, :, j]) for j in range(3)] for p in range(4)])
    fewer = y[:, :7]
    w1 = calibration.coordinate_w1(x, fewer, chunk_size=2)
    assert np.allclose(w1, [[wasserstein_distance(x[p, :, j], fewer[p, :, j]) for j in range(3)] for p in range(4)])


def test_hypothesis_scores_reproduce_the_pipelines_baseline_and_score_each_hypothesis():
    from activa.eval import baseline, effects, scoring
    from tests.conftest import simulate_test_split

    config, scms, truth = simulate_test_split("gauss2", 6)
    frame = calibration.hypothesis_scores(config, "gauss2", truth, progress=False)
    hypotheses = config["calibration"]["baseline_hypotheses"]["hypotheses"]
    assert set(frame["hypothesis"]) == set(hypotheses) and (frame["pairs"] == 12).all()
    value = frame.set_index(["hypothesis", "metric", "convention"])["value"]
    expected = scoring.score(truth, baseline.predict_samples(config, truth, "gauss2", "test"), config["metrics"], 0,
                             effects.closed_form(scms, truth), progress=False)
    configured = calibration.configured_names(config["metrics"])
    for metric in ("mmd", "wsd", "erg"):  # the correct hypothesis is Table 1's baseline, value for value
        assert np.isclose(value[("correct", metric, configured[metric])], expected[metric].mean(), rtol=1e-12)
    # the same draw scored against the observational samples: far from the do(V = 5) truth
    assert value[("observational_truth", "wsd", "w1")] > 3 * value[("correct", "wsd", "w1")]
    assert value[("query_at_0", "wsd", "w1")] > 3 * value[("correct", "wsd", "w1")]


def test_a_subset_of_scms_is_scored_on_the_baseline_the_pipeline_draws():
    """calibration.baseline_hypotheses.scms: the same baseline samples (drawn on every SCM), scored on a seeded
    subset: the 'correct' hypothesis is Table 1's baseline on those SCMs, value for value."""
    from activa.config import deep_merge
    from activa.data.scm import seed_sequence
    from activa.eval import baseline, effects, scoring
    from activa.eval.references import scm_subset
    from tests.conftest import simulate_test_split

    config, scms, truth = simulate_test_split("gauss2", 6)
    subset = deep_merge(config, {"calibration": {"baseline_hypotheses": {"scms": 4}}})
    frame = calibration.hypothesis_scores(subset, "gauss2", truth, progress=False)
    assert (frame["pairs"] == 8).all()
    keep = scm_subset(6, 4, seed_sequence(config["seed"], "scm_subset", "gauss2", "test"))
    pred = baseline.predict_samples(config, truth, "gauss2", "test").select_scms(keep)
    expected = scoring.score(truth.select_scms(keep), pred, config["metrics"], 0, effects.closed_form(scms, truth),
                             progress=False)
    value = frame.set_index(["hypothesis", "metric", "convention"])["value"]
    configured = calibration.configured_names(config["metrics"])
    for metric in ("mmd", "wsd", "erg"):
        assert np.isclose(value[("correct", metric, configured[metric])], expected[metric].mean(), rtol=1e-12)
    full = calibration.hypothesis_scores(config, "gauss2", truth, progress=False).set_index(
        ["hypothesis", "metric", "convention"])["value"]
    assert not np.isclose(full[("correct", "mmd", configured["mmd"])], value[("correct", "mmd", configured["mmd"])])


def test_hypotheses_that_coincide_with_the_baseline_score_the_same():
    """SERGIO's query value is 0: 'at 0' is the baseline itself, and is scored once."""
    from tests.conftest import simulate_test_split

    config, _, truth = simulate_test_split("gauss2", 4)
    truth.value[truth.target >= 0] = 0.0
    value = calibration.hypothesis_scores(config, "gauss2", truth, progress=False).set_index(
        ["hypothesis", "metric", "convention"])["value"]
    for name in ("query_at_0", "condition_at_0", "set_at_0"):
        assert value[name].equals(value["correct"])
    assert not value["normal_fit"].equals(value["correct"])


def test_coordinate_energy_is_scipys_one_dimensional_energy_distance_squared():
    from scipy.stats import energy_distance

    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((3, 11, 2)), rng.gamma(2.0, size=(3, 7, 2))
    expected = [[energy_distance(x[p, :, j], y[p, :, j]) ** 2 for j in range(2)] for p in range(3)]
    assert np.allclose(calibration.coordinate_energy(x, y), expected)
