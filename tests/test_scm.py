"""The linear SCM generator: graphs, weights, interventions, closed-form effects, determinism."""

import numpy as np
import pytest
from scipy import stats

from activa.data import scm

GAUSS = dict(n_vars=4, edge_prob=0.3, weight_range=[0.5, 2.0], noise={"family": "gaussian", "scale": 0.5},
             intervention_values=[5.0], jitter_std=0.1, samples_per_regime=30)
BETA = dict(GAUSS, noise={"family": "beta", "a_range": [0.5, 2.0], "b_range": [0.5, 2.0]})


def rng(seed=0):
    return np.random.default_rng(seed)


def test_graphs_are_dags_without_self_loops():
    adjacency = scm.sample_graphs(rng(), 3000, 8, 0.3)
    assert scm.is_acyclic(adjacency).all()
    assert not adjacency[:, np.arange(8), np.arange(8)].any()


def test_is_acyclic_detects_cycles():
    cycle = np.zeros((3, 3), bool)
    cycle[0, 1] = cycle[1, 2] = cycle[2, 0] = True
    chain = np.zeros((3, 3), bool)
    chain[0, 1] = chain[1, 2] = True
    assert scm.is_acyclic(np.stack([cycle, chain])).tolist() == [False, True]


def test_bivariate_graph_probabilities_follow_er_then_random_removal():
    # Each direction is drawn with p = 0.3; if both are drawn (0.09) one is removed at random:
    # P(no edge) = 0.49, P(X -> Y) = P(Y -> X) = 0.21 + 0.045 = 0.255.
    n = 40_000
    adjacency = scm.sample_graphs(rng(1), n, 2, 0.3)
    xy, yx = adjacency[:, 0, 1].mean(), adjacency[:, 1, 0].mean()
    none = (~adjacency.any(axis=(1, 2))).mean()
    se = np.sqrt(0.25 / n)
    assert abs(none - 0.49) < 4 * se
    assert abs(xy - 0.255) < 4 * se and abs(yx - 0.255) < 4 * se


def test_removal_keeps_acyclic_er_graphs_intact():
    # A graph that is already a DAG loses no edge: the edge count of sparse graphs matches ER exactly.
    adjacency = scm.sample_graphs(rng(2), 20_000, 3, 0.05)
    expected = 6 * 0.05  # P(cycle) is O(p^2), so the mean edge count stays within a few per cent
    assert abs(adjacency.sum(axis=(1, 2)).mean() - expected) < 0.03


def test_weights_live_on_edges_with_both_signs():
    scms = scm.sample_scms(rng(3), 2000, dict(GAUSS, n_vars=8))
    w = scms.weights
    assert np.array_equal(w != 0, scms.adjacency)
    magnitude = np.abs(w[scms.adjacency])
    assert magnitude.min() >= 0.5 and magnitude.max() <= 2.0
    assert 0.45 < (w[scms.adjacency] > 0).mean() < 0.55


def test_beta_noise_parameters_in_range():
    scms = scm.sample_scms(rng(4), 500, BETA)
    assert scms.noise_params.shape == (500, 4, 2)
    assert scms.noise_params.min() >= 0.5 and scms.noise_params.max() <= 2.0


def test_regime_layout():
    regimes = scm.Regimes.single_target(3, [5.0, -1.0])
    assert regimes.target.tolist() == [-1, 0, 0, 1, 1, 2, 2]
    assert regimes.value_index.tolist() == [-1, 0, 1, 0, 1, 0, 1]
    assert np.isnan(regimes.value[0]) and regimes.value[1:].tolist() == [5.0, -1.0] * 3


@pytest.mark.parametrize("spec", [GAUSS, BETA], ids=["gauss", "beta"])
def test_intervened_variable_is_five_up_to_the_jitter(spec):
    spec = dict(spec, jitter_std=0.1)
    scms, regimes, x = scm.simulate(spec, 200, scm.seed_sequence(0, "t"))
    for r in np.flatnonzero(regimes.target >= 0):
        v = x[:, r, :, regimes.target[r]]
        assert abs(v.mean() - 5.0) < 4 * 0.1 / np.sqrt(v.size)
        assert abs(v.std() - 0.1) < 0.005


def test_zero_jitter_sets_the_value_exactly():
    _, regimes, x = scm.simulate(dict(GAUSS, jitter_std=0.0), 20, scm.seed_sequence(0, "t"))
    for r in np.flatnonzero(regimes.target >= 0):
        assert (x[:, r, :, regimes.target[r]] == 5.0).all()


@pytest.mark.parametrize("spec", [GAUSS, BETA], ids=["gauss", "beta"])
def test_regime_means_match_the_closed_form(spec):
    # Empirical means of every regime against mean(eps) @ inv(I - B_t), standardised by the closed-form sd.
    spec = dict(spec, samples_per_regime=400)
    scms, regimes, x = scm.simulate(spec, 300, scm.seed_sequence(5, "t"))
    mean, cov = scm.interventional_moments(scms, regimes, spec["jitter_std"])
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    z = (x.mean(axis=2) - mean) / (sd / np.sqrt(x.shape[2]))
    assert np.abs(z).max() < 6  # 300 * 5 * 4 = 6000 z-scores
    assert abs(z.mean()) < 0.1 and 0.9 < z.std() < 1.1


def test_closed_form_mean_is_the_total_effect_of_the_path_sum():
    # Independent of the matrix inverse: the mean of a descendant moves by the sum over directed paths of
    # the product of weights (sum_k B^k), computed for a hand-made chain 0 -> 1 -> 2 and 0 -> 2.
    w = np.zeros((1, 3, 3))
    w[0, 0, 1], w[0, 1, 2], w[0, 0, 2] = 1.5, -2.0, 0.7
    scms = scm.LinearSCMs(w != 0, w, "gaussian", np.stack([np.zeros((1, 3)), np.full((1, 3), 0.5)], -1))
    regimes = scm.Regimes.single_target(3, [5.0])
    mean, cov = scm.interventional_moments(scms, regimes, 0.1)
    assert np.allclose(mean[0, 1], [5.0, 7.5, 5.0 * (0.7 + 1.5 * -2.0)])  # do(V0 = 5)
    assert np.allclose(mean[0, 2], [0.0, 5.0, -10.0])  # do(V1 = 5): V0 untouched
    assert np.allclose(mean[0, 3], [0.0, 0.0, 5.0])  # do(V2 = 5): no descendants
    # variance of V2 under do(V0): 0.1^2 * (0.7 - 3)^2 + 0.25 * 4 + 0.25
    assert np.isclose(cov[0, 1, 2, 2], 0.01 * 2.3**2 + 0.25 * 4 + 0.25)


def test_non_descendants_keep_their_distribution():
    w = np.zeros((1, 3, 3))
    w[0, 0, 1], w[0, 1, 2] = 1.2, 0.8  # chain 0 -> 1 -> 2
    params = np.stack([np.full((1, 3), 2.0), np.full((1, 3), 0.7)], -1)
    scms = scm.LinearSCMs(w != 0, w, "beta", params)
    regimes = scm.Regimes.single_target(3, [5.0])
    x = scm.sample_regimes(rng(6), scms, regimes, 4000, 0.1)
    obs = x[0, 0]
    # do(V1 = 5): V0 is not a descendant; V2 is.
    assert stats.ks_2samp(obs[:, 0], x[0, 2, :, 0]).pvalue > 1e-3
    assert stats.ks_2samp(obs[:, 2], x[0, 2, :, 2]).pvalue < 1e-10
    # do(V2 = 5): neither V0 nor V1 moves, jointly.
    assert stats.ks_2samp(obs[:, 1], x[0, 3, :, 1]).pvalue > 1e-3
    assert abs(np.corrcoef(obs[:, :2].T)[0, 1] - np.corrcoef(x[0, 3, :, :2].T)[0, 1]) < 0.06


def test_simulation_is_deterministic_and_block_independent():
    seed = scm.seed_sequence(42, "simulate", "x", "train")
    a = scm.simulate(GAUSS, scm.BLOCK + 7, seed)
    b = scm.simulate(GAUSS, scm.BLOCK + 7, scm.seed_sequence(42, "simulate", "x", "train"))
    assert np.array_equal(a[2], b[2]) and np.array_equal(a[0].weights, b[0].weights)
    first_block = scm.simulate(GAUSS, scm.BLOCK, scm.seed_sequence(42, "simulate", "x", "train"))
    assert np.array_equal(first_block[2], a[2][: scm.BLOCK])
    other = scm.simulate(GAUSS, 10, scm.seed_sequence(42, "simulate", "x", "test"))
    assert not np.array_equal(other[2], a[2][:10])


def test_changing_the_jitter_changes_only_the_intervened_values():
    _, regimes, a = scm.simulate(dict(GAUSS, jitter_std=0.1), 50, scm.seed_sequence(1, "j"))
    _, _, b = scm.simulate(dict(GAUSS, jitter_std=0.3), 50, scm.seed_sequence(1, "j"))
    assert np.array_equal(a[:, 0], b[:, 0])
    r = 1 + 2  # do(V2 = 5)
    assert np.array_equal(np.delete(a[:, r], 2, axis=-1) != 0, np.delete(b[:, r], 2, axis=-1) != 0)
    dev_a, dev_b = a[:, r, :, 2] - 5, b[:, r, :, 2] - 5
    assert np.allclose(dev_b, 3 * dev_a)
