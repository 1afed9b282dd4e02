"""The reference methods: closed-form facts they must meet, the noise floor's distribution, the intervals'
coverage, the fixed DoWhy subset, and DoWhy's gcm against our oracle on the same SCMs."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, simulate_test_split

from activa.data.format import DataError
from activa.data.scm import LinearSCMs, Regimes, interventional_moments, seed_sequence
from activa.eval import intervals, metrics, references
from activa.eval.scoring import pair_arrays


@pytest.fixture(scope="module")
def gauss8():
    return simulate_test_split("gauss8", 40)


def closed_form_means(scms, truth):
    linear = LinearSCMs(scms.adjacency.astype(bool), scms.weights, scms.meta["noise_family"], scms.noise_params)
    r = truth.interventional
    regimes = Regimes(truth.target[r], truth.value_index[r], truth.value[r].astype(np.float64), ())
    return interventional_moments(linear, regimes, jitter_std=0.0)[0]


@pytest.mark.parametrize("family", ["gauss2", "gauss8", "beta8"])
def test_oracle_graph_recovers_the_closed_form_interventional_means(family):
    """Its error is sampling error: the RMS error of its means shrinks as 1 / sqrt(N) (fitted weights and
    sample means both), about sd / sqrt(N) with sd a few units, far below the no-effect floor's."""
    rms = {}
    for n in (2000, 8000):
        _, scms, truth = simulate_test_split(family, 30, n)
        pred = references.oracle_graph(truth, scms, np.random.default_rng(0), references.residual_kind(scms))
        assert np.array_equal(pred.samples[:, np.arange(len(pred.target)), :, pred.target],
                              np.broadcast_to(pred.value[:, None, None], (len(pred.target), 30, n)))
        error = pred.samples.mean(axis=2, dtype=np.float64) - closed_form_means(scms, truth)
        rms[n] = np.sqrt((error**2).mean())
        floor = np.sqrt(((references.no_effect(truth).samples.mean(axis=2) - closed_form_means(scms, truth))**2).mean())
        assert rms[n] * np.sqrt(n) < 8 and rms[n] < floor / 10
    assert rms[8000] < 0.75 * rms[2000]  # 1 / sqrt(4) = 0.5 expected


def test_fit_mechanisms_is_least_squares_on_the_true_parents(gauss8):
    _, scms, truth = gauss8
    obs = truth.samples[:, 0].astype(np.float64)
    weights, intercept, residuals = references.fit_mechanisms(obs, scms.adjacency)
    assert (weights[scms.adjacency == 0] == 0).all()
    s = int(np.argmax(scms.adjacency.sum(axis=(1, 2))))
    for j in range(obs.shape[-1]):
        parents = np.flatnonzero(scms.adjacency[s, :, j])
        design = np.column_stack([np.ones(len(obs[s])), obs[s][:, parents]])
        coef = np.linalg.lstsq(design, obs[s][:, j], rcond=None)[0]
        assert intercept[s, j] == pytest.approx(coef[0], abs=1e-6)
        assert weights[s, parents, j] == pytest.approx(coef[1:], abs=1e-6)
    assert np.abs(residuals.mean(axis=1)).max() < 1e-8  # an intercept: residuals centred


def test_no_effect_leaves_every_non_target_at_its_observational_samples(gauss8):
    _, _, truth = gauss8
    pred = references.no_effect(truth)
    obs = truth.samples[:, 0]
    for i, (t, v) in enumerate(zip(pred.target, pred.value)):
        others = np.arange(obs.shape[-1]) != t
        assert np.array_equal(pred.samples[:, i][..., others], obs[..., others])
        assert (pred.samples[:, i, :, t] == v).all()
    assert np.array_equal(pred.regime, truth.regime[truth.interventional]) and np.array_equal(pred.scm, truth.scm)


def test_truth_resample_is_a_new_draw_of_the_same_distributions():
    config, scms, truth = simulate_test_split("gauss2", 200, 40)
    pred = references.truth_resample(truth, scms, config["families"]["gauss2"], seed_sequence(1, "resample"))
    x, y, _ = pair_arrays(truth, pred)
    assert not np.allclose(x, y)
    p = metrics.score_pairs(x, y, conventions={"p": {"metric": "energy_test", "n_permutations": 100,
                                                       "plus_one": True}}, seed=0, chunk_size=100)["p"]
    # same distribution: the permutation test's p-values are uniform over the 400 pairs (up to its 1/101 grid)
    assert np.mean(p < 0.05) == pytest.approx(0.05, abs=0.03)
    assert np.mean(p) == pytest.approx(0.5, abs=0.05)
    shifted = dataclasses.replace(pred, samples=pred.samples + 1.0)
    _, y_shift, _ = pair_arrays(truth, shifted)
    p_shift = metrics.score_pairs(x, y_shift, conventions={"p": {"metric": "energy_test", "n_permutations": 100,
                                                                   "plus_one": True}}, seed=0, chunk_size=100)["p"]
    assert np.mean(p_shift < 0.05) > 0.9  # the test has the power to see a shift of one noise sd


def _mmd(truth, pred, config):
    """The configured MMD per test SCM (mean over its regimes)."""
    x, y, _ = pair_arrays(truth, pred)
    spec = {"mmd": {"metric": "mmd", **config["metrics"]["mmd"]}}
    return metrics.score_pairs(x, y, conventions=spec, seed=0, chunk_size=500, progress=False)["mmd"].reshape(len(truth.scm), -1).mean(1)


def test_truth_pooled_on_a_linear_family_is_distributed_as_truth_resample():
    config, scms, truth = simulate_test_split("gauss2", 300, 40)
    spec = config["families"]["gauss2"]
    pooled = references.truth_pooled(truth, scms, spec, 6, seed_sequence(1, "pooled"), progress=False)
    resample = references.truth_resample(truth, scms, spec, seed_sequence(2, "resample"))
    diff = _mmd(truth, pooled.pred, config) - _mmd(truth, resample, config)
    assert abs(diff.mean()) < 3 * diff.std(ddof=1) / np.sqrt(len(diff))  # same score within noise
    # i.i.d. samples: the run means spread as sigma^2 / N, and pool to the closed-form means
    floor = references.effective_samples(pooled, truth)
    assert floor["interventional_inflation"] == pytest.approx(1.0, abs=0.1)
    assert floor["observational_inflation"] == pytest.approx(1.0, abs=0.1)
    assert floor["interventional_n_eff_median"] == pytest.approx(40, rel=0.35)
    mu = closed_form_means(scms, truth)
    error = np.abs(pooled.means[:, truth.interventional] - mu)
    assert error.mean() < 0.6 * np.abs(truth.samples[:, truth.interventional].mean(axis=2) - mu).mean()


def sergio_split(tmp_path, n_scm=120, cells=20):
    """(spec, SCMTable, Samples) of a small SERGIO family on a hand-made network, in memory."""
    from activa.data import sergio
    from activa.data.format import SCMTable, Samples
    from activa.data.simulate import scm_columns

    net = tmp_path / "net.tsv"
    edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("e", "d"), ("e", "f"), ("f", "g"), ("a", "g")]
    net.write_text("".join(f"{u}\t{v}\t+\n" for u, v in edges))
    spec = {"generator": "sergio", "n_vars": 4, "networks": ["ecoli"], "topk": 0.2, "b_range": [0.0, 1.0], "k_range": [1.0, 5.0],
            "sign_beta": [1.0, 1.0], "hill_values": [2.0], "decay_values": [0.8], "noise_values": [1.0],
            "n_cell_types": 1, "half_response": "per_condition", "samples_per_regime": cells, "dt": 0.01,
            "sampling_state": 15, "safety_steps": 10, "intervention_values": [0.0]}
    params, regimes, samples = sergio.simulate(spec, n_scm, seed_sequence(0, "sergio"), {"ecoli": net})
    adjacency, weights, noise_params, meta = scm_columns({"generator": "sergio"}, params)
    truth = Samples(samples.astype(np.float32), regimes.target, regimes.value_index, regimes.value.astype(np.float32),
                    np.arange(n_scm, dtype=np.int32), np.arange(len(regimes), dtype=np.int16))
    return spec, SCMTable(adjacency, weights, noise_params, meta), truth


def test_truth_pooled_on_sergio_is_a_lower_floor_than_a_second_run(tmp_path):
    spec, scms, truth = sergio_split(tmp_path)
    config = {"metrics": {"mmd": {"squared": False, "unbiased": True, "bandwidth": "median_pooled",
                                  "kernel_scale": "2sigma2"}}}
    pooled = references.truth_pooled(truth, scms, spec, 10, seed_sequence(1, "pooled"), progress=False)
    resample = references.truth_resample(truth, scms, spec, seed_sequence(1, "resample"))
    lower, second = _mmd(truth, pooled.pred, config), _mmd(truth, resample, config)
    p, shift = intervals.wilcoxon_less(pd.Series(lower), pd.Series(second))
    assert p < 1e-3 and shift < 0
    # a run's cells are snapshots of one trajectory: its mean varies across runs far more than sigma^2 / N
    floor = references.effective_samples(pooled, truth)
    assert floor["observational_inflation"] > 2 and floor["interventional_n_eff_median"] < 20 / 2


def test_bootstrap_interval_covers_a_known_mean_at_about_the_nominal_rate():
    rng = np.random.default_rng(0)
    hits = 0
    for k in range(400):
        values = rng.exponential(size=200)  # skewed, like a metric; true mean 1
        lo, hi = intervals.bootstrap_interval(values, 500, 0.95, seed_sequence(0, "coverage", str(k)))
        hits += lo <= 1.0 <= hi
    assert hits / 400 == pytest.approx(0.95, abs=0.035)


def test_wilcoxon_pairs_by_scm_tests_one_side_and_bold_needs_a_lower_mean_too():
    rng = np.random.default_rng(1)
    base = pd.Series(rng.normal(size=60) + 1.0, index=np.arange(60))
    better = base - 0.3 + 0.05 * rng.normal(size=60)
    assert intervals.wilcoxon_less(better, base)[0] < 1e-6 and intervals.wilcoxon_less(base, better)[0] > 0.99
    assert intervals.wilcoxon_less(base, base) == (1.0, 0.0)
    p, shift = intervals.wilcoxon_less(better.iloc[:30], base)  # the SCMs both have
    assert p < 1e-3 and shift == pytest.approx((better.iloc[:30] - base.iloc[:30]).mean())
    # mostly lower but a higher mean (one large outlier): the test alone would say "better", the mean does not
    skewed = base - 0.1
    skewed.iloc[0] += 20.0
    frames = {m: pd.DataFrame({"scm": s.index, "mmd": s.to_numpy()}) for m, s in (("baseline", base), ("x", skewed))}
    scm_means = {m: intervals.per_scm(f, "mmd") for m, f in frames.items()}
    result = intervals.better(scm_means, intervals.comparators(["baseline", "x"]), 0.05)
    assert result["x"][0] < 0.05 and result["x"][1] is False and result["baseline"][1] is False
    assert intervals.comparators(["activa", "baseline", "x"]) == {"activa": ["baseline"], "baseline": ["activa", "x"],
                                                                  "x": ["baseline"]}


def test_the_dowhy_subset_is_the_same_every_run_and_depends_on_the_seed():
    a = references.scm_subset(3000, 200, seed_sequence(42, "scm_subset", "gauss8", "test"))
    b = references.scm_subset(3000, 200, seed_sequence(42, "scm_subset", "gauss8", "test"))
    c = references.scm_subset(3000, 200, seed_sequence(43, "scm_subset", "gauss8", "test"))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert len(np.unique(a)) == 200 and (np.diff(a) > 0).all() and a.max() < 3000
    assert np.array_equal(references.scm_subset(5, 200, seed_sequence(0, "x")), np.arange(5))


def test_metrics_accept_a_subset_only_when_the_predictions_say_so(gauss8):
    _, _, truth = gauss8
    pred = references.no_effect(truth)
    part = dataclasses.replace(pred, samples=pred.samples[[3, 7]], scm=pred.scm[[3, 7]])
    with pytest.raises(DataError, match=r"^predictions: column 'scm' does not list the same SCMs as truth$"):
        pair_arrays(truth, part)
    x, y, _ = pair_arrays(truth, dataclasses.replace(part, meta={"scm_subset": 2}))
    assert np.array_equal(x, truth.samples[[3, 7]][:, truth.interventional].reshape(-1, *x.shape[1:]))
    outside = dataclasses.replace(part, scm=np.array([3, 99], np.int32), meta={"scm_subset": 2})
    with pytest.raises(DataError, match=r"not list the same SCMs as truth \(nor a subset of them\)$"):
        pair_arrays(truth, outside)


@pytest.mark.parametrize("mechanisms", ["linear", "good"])
def test_dowhy_gcm_agrees_with_the_oracle_on_linear_scms(mechanisms):
    """The real-library cross-check: dowhy.gcm (linear mechanisms, or its own choice) and our least-squares oracle,
    given the same graph and samples, predict the same interventional means up to sampling noise. Here the query
    value lies inside the observed range (400 samples of noise sd 1), where the auto-assigned regressors are fine."""
    pytest.importorskip("dowhy")
    _, scms, full = simulate_test_split("gauss2", 12, 400)
    subset = np.array([0, 3, 5, 8])
    truth = full.select_scms(subset)
    dw = references.dowhy_gcm(truth, scms, mechanisms, seed_sequence(0, "dowhy"), progress=False)
    oracle = references.oracle_graph(truth, scms, np.random.default_rng(0), "gaussian")
    mu = closed_form_means(scms, full)[subset]
    a, b = dw.mean(axis=2), oracle.samples.mean(axis=2, dtype=np.float64)
    # each mean is within a few sampling sds (noise sd 1, weights up to 2: sd of V up to ~2.3) of the truth
    assert np.abs(a - b).max() < 0.6 and np.abs(a - mu).max() < 0.6
    assert dw.shape == (4, 2, 400, 2)
    again = references.dowhy_gcm(truth, scms, mechanisms, seed_sequence(0, "dowhy"), progress=False, workers=2)
    assert np.array_equal(dw, again)  # per-SCM seeds: workers change nothing


def test_dowhy_gcm_linear_extrapolates_where_the_auto_assigned_mechanisms_do_not():
    """Why the auto-assigned row misses (docs/evaluation.md): on Beta 2 SCMs with an edge, 30 samples and
    do(V = 5) far outside the observed range (Beta noise lies in [0, 1]), the linear mechanisms recover the
    closed-form means and the auto-assigned ones (a polynomial or tree regressor where it cross-validates better) do
    not."""
    pytest.importorskip("dowhy")
    _, scms, full = simulate_test_split("beta2", 40, 30)
    edged = np.flatnonzero(scms.adjacency[full.scm].any(axis=(1, 2)))[:8]
    truth = full.select_scms(edged)
    mu = closed_form_means(scms, full)[edged]
    errors = {}
    for mechanisms in ("linear", "good"):
        pred = references.dowhy_gcm(truth, scms, mechanisms, seed_sequence(0, "dowhy"), progress=False)
        errors[mechanisms] = np.abs(pred.mean(axis=2) - mu).max(axis=(1, 2)).mean()
    # linear: the slope fitted on 30 points of [0, 1] extrapolated to 5 (about 0.5); auto: polynomial regressors chosen
    # by cross-validation explode outside the observed range (18 here), trees stay flat
    assert errors["linear"] < 1.0 and errors["good"] > 3 * errors["linear"], errors


def test_dowhy_gcm_says_why_it_cannot_run_on_too_few_samples():
    pytest.importorskip("dowhy")
    _, scms, truth = simulate_test_split("gauss2", 3, 4)
    with pytest.raises(DataError, match=r"^dowhy_gcm_auto: .* needs at least 5 observational samples per SCM, the "
                                        r"truth has 4$"):
        references.dowhy_gcm(truth.select_scms(np.arange(2)), scms, "good", seed_sequence(0, "dowhy"), progress=False)


def test_a_missing_dowhy_is_a_clear_error(monkeypatch):
    from activa.config import ConfigError

    monkeypatch.setitem(__import__("sys").modules, "dowhy", None)  # import dowhy now raises ImportError
    with pytest.raises(ConfigError, match=r"^dowhy_gcm: the package 'dowhy' is not installed \(pip install -e "
                                          r"'\.\[references\]'"):
        references.dowhy_version()


def test_reference_stages_write_predictions_and_refuse_the_scms_of_another_split(tmp_path, capsys):
    from activa.cli import main
    from activa.data.format import read_samples

    cfg = ["--config", str(ROOT / "config/config.yaml"), "--config", str(ROOT / "config/smoke.yaml")]
    for split in ("train", "test"):
        assert main(["simulate", *cfg, "--family", "gauss2", "--split", split, "--no-progress",
                     "--out-samples", str(tmp_path / f"{split}.samples.parquet"),
                     "--out-scms", str(tmp_path / f"{split}.scms.parquet")]) == 0
    data, scms = str(tmp_path / "test.samples.parquet"), str(tmp_path / "test.scms.parquet")
    for method, extra in (("no_effect", []), ("oracle_graph", ["--scms", scms]), ("truth_resample", ["--scms", scms]),
                          ("eqvar", [])):
        out = tmp_path / f"{method}.parquet"
        assert main(["reference", *cfg, "--method", method, "--family", "gauss2", "--data", data, *extra,
                     "--out", str(out), "--no-progress"]) == 0
        pred = read_samples(out)
        assert pred.meta["method"] == method and pred.samples.shape[:2] == (16, 2)
    wrong = str(tmp_path / "train.scms.parquet")
    assert main(["reference", *cfg, "--method", "oracle_graph", "--family", "gauss2", "--data", data, "--scms", wrong,
                 "--out", str(tmp_path / "x.parquet")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"activa reference: error: {wrong}: metadata 'split' is 'train' but {data} has 'test': not the SCMs of "
        "these samples")
    assert main(["reference", *cfg, "--method", "oracle_graph", "--family", "gauss2", "--data", data,
                 "--out", str(tmp_path / "x.parquet")]) == 2
    assert capsys.readouterr().err.strip() == ("activa reference: error: reference: method 'oracle_graph' sees the "
                                               "graph: --scms (the split's .scms.parquet) is required")
    assert not (tmp_path / "x.parquet").exists()
