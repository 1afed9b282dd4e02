"""The conditional baseline equals analytic Gaussian conditioning, and is robust to singular data."""

import numpy as np

from activa.data import scm
from activa.eval import baseline


def random_cov(rng, d):
    a = rng.standard_normal((d, d))
    return a @ a.T + 0.1 * np.eye(d)


def brute_force_condition(mean, cov, t, v):
    """Textbook partitioned-Gaussian conditioning with an explicit solve (independent of the vectorised code)."""
    rest = [i for i in range(len(mean)) if i != t]
    s12 = cov[np.ix_(rest, [t])]
    s22 = cov[np.ix_([t], [t])]
    m = mean.copy()
    m[rest] = mean[rest] + (s12 @ np.linalg.solve(s22, [[v - mean[t]]]))[:, 0]
    m[t] = v
    c = np.zeros_like(cov)
    c[np.ix_(rest, rest)] = cov[np.ix_(rest, rest)] - s12 @ np.linalg.solve(s22, s12.T)
    return m, c


def test_condition_matches_partitioned_gaussian_formula():
    rng = np.random.default_rng(0)
    d = 5
    means = rng.standard_normal((4, d))
    covs = np.stack([random_cov(rng, d) for _ in range(4)])
    targets = np.array([0, 3, 4])
    values = np.array([5.0, -1.0, 2.5])
    cond_mean, cond_cov = baseline.condition(means, covs, targets, values)
    for s in range(4):
        for r, (t, v) in enumerate(zip(targets, values)):
            m, c = brute_force_condition(means[s], covs[s], t, v)
            assert np.allclose(cond_mean[s, r], m)
            assert np.allclose(cond_cov[s, r], c, atol=1e-12)


def test_samples_have_the_conditional_moments_and_exact_target():
    rng = np.random.default_rng(1)
    cov = random_cov(rng, 3)
    obs = rng.multivariate_normal([1.0, -2.0, 0.5], cov, size=(1, 5000))
    samples = baseline.predict(obs, np.array([1]), np.array([5.0]), 40_000, rng, ridge=0.0)
    mean, fitted = baseline.fit_gaussian(obs, 0.0)
    m, c = brute_force_condition(mean[0], fitted[0], 1, 5.0)
    x = samples[0, 0]
    assert (x[:, 1] == 5.0).all()
    assert np.allclose(x.mean(axis=0), m, atol=4 * np.sqrt(c.diagonal().max() / len(x)))
    assert np.allclose(np.cov(x.T), c, atol=0.05 * np.abs(c).max())


def test_fit_uses_the_unbiased_sample_covariance():
    rng = np.random.default_rng(2)
    obs = rng.standard_normal((3, 10, 4))
    mean, cov = baseline.fit_gaussian(obs, 0.0)
    for s in range(3):
        assert np.allclose(cov[s], np.cov(obs[s].T, ddof=1))
        assert np.allclose(mean[s], obs[s].mean(axis=0))


def test_singular_covariance_gives_finite_samples():
    rng = np.random.default_rng(3)
    obs = rng.standard_normal((4, 30, 4))
    obs[0, :, 1] = 0.0  # a knocked-out gene: zero variance
    obs[1, :, 2] = obs[1, :, 3]  # duplicated column: singular covariance
    obs[2] = 0.0  # everything constant
    obs[3, :, 0] = 1e6 * obs[3, :, 1]  # badly scaled
    samples = baseline.predict(obs, np.array([0, 1, 2, 3]), np.array([5.0] * 4), 30, rng, ridge=1e-6)
    assert np.isfinite(samples).all()
    assert (samples[:, 1, :, 1] == 5.0).all()


def test_conditioning_is_not_intervening():
    # X -> Y, Y = 2 X + eps. do(X = 5) moves Y by the causal effect (the baseline gets that right);
    # do(Y = 5) leaves X alone, but conditioning on Y = 5 moves X: the baseline's error.
    w = np.zeros((1, 2, 2))
    w[0, 0, 1] = 2.0
    scms = scm.LinearSCMs(w != 0, w, "gaussian", np.stack([np.zeros((1, 2)), np.full((1, 2), 0.5)], -1))
    regimes = scm.Regimes.single_target(2, [5.0])
    rng = np.random.default_rng(4)
    x = scm.sample_regimes(rng, scms, regimes, 20_000, 0.0)
    pred = baseline.predict(x[:, 0], regimes.target[1:], regimes.value[1:], 20_000, rng, 1e-6)
    assert abs(pred[0, 0, :, 1].mean() - x[0, 1, :, 1].mean()) < 0.05  # causal direction: right
    assert abs(x[0, 2, :, 0].mean()) < 0.02  # truth: X unchanged under do(Y = 5)
    assert abs(pred[0, 1, :, 0].mean() - 5 * 2 / 5) < 0.05  # baseline: E[X | Y = 5] = 2


def _edge_scm(n_samples):
    """X -> Y, Y = 2 X + eps, noise sd 0.5: observational samples [1, N, 2] and the regimes do(X = 5), do(Y = 5)."""
    w = np.zeros((1, 2, 2))
    w[0, 0, 1] = 2.0
    scms = scm.LinearSCMs(w != 0, w, "gaussian", np.stack([np.zeros((1, 2)), np.full((1, 2), 0.5)], -1))
    regimes = scm.Regimes.single_target(2, [5.0])
    x = scm.sample_regimes(np.random.default_rng(5), scms, regimes, n_samples, 0.0)
    return x[:, 0], regimes.target[1:], regimes.value[1:]


def hypothesis(name):
    from activa.config import load_config
    from tests.conftest import ROOT

    return load_config([ROOT / "config/config.yaml"])["calibration"]["baseline_hypotheses"]["hypotheses"][name]


def draw(name, n=40_000):
    obs, target, value = _edge_scm(n)
    condition_on, set_to = baseline.hypothesis_values(hypothesis(name), value)
    return baseline.sample_query(obs, target, condition_on, set_to, n, np.random.default_rng(6), 1e-6)[0]


# Closed forms for X -> Y, Y = 2 X + eps (var X = .25, var Y = 1.25, cov = .5):
# X | Y = y ~ N(0.4 y, 0.05); Y | X = x ~ N(2 x, 0.25).
def assert_normal(samples, mean, var):
    assert abs(samples.mean() - mean) < 4 * np.sqrt(var / len(samples)) + 0.01
    assert abs(samples.var() - var) < 0.05 * var + 0.005


def test_query_at_0_is_the_closed_form_conditional_at_0():
    pred = draw("query_at_0")
    assert (pred[0, :, 0] == 0.0).all() and (pred[1, :, 1] == 0.0).all()
    assert_normal(pred[0, :, 1], 0.0, 0.25)  # Y | X = 0, although the query was do(X = 5)
    assert_normal(pred[1, :, 0], 0.0, 0.05)  # X | Y = 0


def test_condition_at_0_sets_the_query_value_and_set_at_0_conditions_on_it():
    pred = draw("condition_at_0")
    assert (pred[0, :, 0] == 5.0).all() and (pred[1, :, 1] == 5.0).all()
    assert_normal(pred[0, :, 1], 0.0, 0.25)
    assert_normal(pred[1, :, 0], 0.0, 0.05)
    pred = draw("set_at_0")
    assert (pred[0, :, 0] == 0.0).all() and (pred[1, :, 1] == 0.0).all()
    assert_normal(pred[0, :, 1], 10.0, 0.25)  # Y | X = 5
    assert_normal(pred[1, :, 0], 2.0, 0.05)  # X | Y = 5


def test_unconditioned_fits_draw_the_observational_normal():
    pred = draw("normal_fit")
    for r in range(2):
        assert_normal(pred[r, :, 0], 0.0, 0.25)
        assert_normal(pred[r, :, 1], 0.0, 1.25)
    pred = draw("normal_fit_set")
    assert (pred[0, :, 0] == 5.0).all() and (pred[1, :, 1] == 5.0).all()
    assert_normal(pred[0, :, 1], 0.0, 1.25)  # Y keeps its marginal: no conditioning, no effect
    assert_normal(pred[1, :, 0], 0.0, 0.25)


def test_the_correct_hypothesis_is_the_baseline_sample_for_sample(smoke_config):
    from tests.conftest import simulate_test_split

    _, _, truth = simulate_test_split("gauss8", 3)
    spec = hypothesis("correct")
    assert spec == {**baseline.BASELINE, "truth": "interventional"}
    mine = baseline.predict_samples(smoke_config, truth, "gauss8", "test", spec)
    theirs = baseline.predict_samples(smoke_config, truth, "gauss8", "test")
    assert np.array_equal(mine.samples, theirs.samples)
    other = baseline.predict_samples(smoke_config, truth, "gauss8", "test", hypothesis("query_at_0"))
    assert not np.array_equal(other.samples, theirs.samples)


def test_hypothesis_values_and_words():
    value = np.array([5.0, 5.0])
    assert baseline.hypothesis_values({"condition_on": "none", "set_to": "query"}, value)[0] is None
    condition_on, set_to = baseline.hypothesis_values({"condition_on": 0.0, "set_to": "query"}, value)
    assert condition_on.tolist() == [0.0, 0.0] and set_to.tolist() == [5.0, 5.0]
    assert baseline.describe_hypothesis(hypothesis("query_at_0")) == (
        "normal fit conditioned on V_t = 0, V_t set to 0; scored against the interventional samples")
    assert baseline.describe_hypothesis(hypothesis("normal_fit")) == (
        "unconditioned normal fit, V_t as drawn; scored against the interventional samples")
    assert baseline.describe_hypothesis(hypothesis("observational_truth")) == (
        "normal fit conditioned on V_t = v, V_t set to v; scored against the observational samples")
