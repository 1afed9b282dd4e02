"""The discover-then-estimate reference methods against known answers: PC and GES find the CPDAG of a linear SCM
from many samples, the equal-variance ordering is a causal order, DirectLiNGAM finds the DAG of non-Gaussian data,
and the fit on a given DAG reproduces the closed-form interventional means."""

import numpy as np
import pytest

from activa.data.scm import LinearSCMs, Regimes, interventional_moments, sample_regimes
from activa.eval import discovery, mec

# 0 -> 2 <- 1, 2 -> 3: a v-structure, and an edge Meek's rule 1 orients: the CPDAG is the DAG itself
COLLIDER = np.zeros((4, 4), bool)
COLLIDER[0, 2] = COLLIDER[1, 2] = COLLIDER[2, 3] = True
# 0 -> 1 -> 2 -> 3: no v-structure, the CPDAG is the undirected chain
CHAIN = np.zeros((4, 4), bool)
CHAIN[0, 1] = CHAIN[1, 2] = CHAIN[2, 3] = True


def linear_scm(adjacency, noise="gaussian", seed=0, n=10_000):
    """One linear SCM on ``adjacency`` (weights +-U(0.8, 1.5)), its observational samples [n, d] and the SCM."""
    rng = np.random.default_rng(seed)
    d = len(adjacency)
    weights = adjacency * rng.uniform(0.8, 1.5, (d, d)) * rng.choice([-1, 1], (d, d))
    params = np.stack([np.zeros(d), np.full(d, 0.5)], axis=1) if noise == "gaussian" else \
        np.stack([rng.uniform(0.5, 2.0, d), rng.uniform(0.5, 2.0, d)], axis=1)
    scms = LinearSCMs(adjacency[None].copy(), weights[None], noise, params[None])
    regimes = Regimes(np.array([-1]), np.array([-1]), np.array([np.nan]), ())
    return sample_regimes(rng, scms, regimes, n, 0.0)[0, 0], scms


@pytest.mark.parametrize("dag", [COLLIDER, CHAIN], ids=["collider", "chain"])
@pytest.mark.parametrize("method", ["pc", "ges"])
def test_pc_and_ges_find_the_cpdag_of_a_linear_scm_from_many_samples(dag, method):
    x, _ = linear_scm(dag)
    found = discovery.pc_pdag(x, 0.01) if method == "pc" else discovery.ges_pdag(x)
    assert np.array_equal(found, mec.cpdag_of(dag))


def test_causallearn_edges_are_read_as_our_pdag():
    graph = np.zeros((3, 3), int)
    graph[1, 0], graph[0, 1] = 1, -1  # 0 -> 1 in causal-learn's marks
    graph[1, 2] = graph[2, 1] = -1  # 1 - 2
    expected = np.zeros((3, 3), bool)
    expected[0, 1] = expected[1, 2] = expected[2, 1] = True
    assert np.array_equal(discovery.pdag_from_causallearn(graph), expected)


def test_the_equal_variance_ordering_is_a_causal_order_on_many_samples():
    rng = np.random.default_rng(1)
    obs, dags = [], []
    for seed in range(6):
        upper = np.triu(rng.random((6, 6)) < 0.5, 1)
        perm = rng.permutation(6)
        dag = upper[np.ix_(perm, perm)]  # a random DAG whose order is not the index order
        obs.append(linear_scm(dag, seed=seed, n=20_000)[0])
        dags.append(dag)
    order = discovery.eqvar_order(np.stack(obs))
    position = np.argsort(order, axis=1)
    for s, dag in enumerate(dags):
        parents, children = np.nonzero(dag)
        assert (position[s, parents] < position[s, children]).all()
    found = discovery.eqvar_dags(np.stack(obs), 0.01)
    assert all(np.array_equal(f, g) for f, g in zip(found, dags))


def test_directlingam_finds_the_dag_of_beta_noise_data():
    pytest.importorskip("lingam")
    for dag, seed in ((COLLIDER, 0), (CHAIN, 1)):
        x, _ = linear_scm(dag, noise="beta", seed=seed, n=5_000)
        assert np.array_equal(discovery.lingam_dag(x), dag)


@pytest.mark.parametrize("noise", ["gaussian", "beta"])
def test_the_fit_on_the_true_dag_reproduces_the_closed_form_interventional_means(noise):
    x, scms = linear_scm(COLLIDER, noise=noise, n=20_000)
    target, value = np.array([0, 2]), np.array([5.0, -3.0])
    pred = discovery.sample_mixture(x[None], [COLLIDER[None]], target, value, 0.1, np.random.default_rng(0))
    regimes = Regimes(target, np.zeros(2, np.int64), value, ())
    mean = interventional_moments(scms, regimes, jitter_std=0.1)[0][0]  # [R, d]
    assert pred.shape == (1, 2, 20_000, 4)
    np.testing.assert_allclose(pred[0].mean(axis=1), mean, atol=0.05)
    assert abs(pred[0, 0, :, 0].std() - 0.1) < 0.01  # V_t = v plus the family's jitter


def test_a_class_prediction_is_the_uniform_mixture_of_its_dags():
    """Two-variable Gaussian data, class {0 -> 1, 1 -> 0}: under do(V_0 = 5) half the samples move V_1 (the fit of
    0 -> 1) and half leave it at its observational distribution (1 -> 0, mutilated)."""
    both = mec.enumerate_dags(mec.cpdag_of(np.array([[False, True], [False, False]])), 10)
    assert len(both) == 2
    x, scms = linear_scm(np.array([[False, True], [False, False]]), n=20_000)
    pred = discovery.sample_mixture(x[None], [both], np.array([0]), np.array([5.0]), 0.0, np.random.default_rng(0))
    effect = interventional_moments(scms, Regimes(np.array([0]), np.array([0]), np.array([5.0]), ()), 0.0)[0][0, 0, 1]
    np.testing.assert_allclose(pred[0, 0, :, 1].mean(), (effect + x[:, 1].mean()) / 2, atol=0.05)


def test_a_constant_variable_gets_no_edges():
    x, _ = linear_scm(CHAIN, n=200)
    x[:, 3] = 0.0  # e.g. a silent gene
    for found in (discovery.pc_pdag(x, 0.05), discovery.ges_pdag(x), discovery.eqvar_dags(x[None], 0.05)[0]):
        assert not found[3].any() and not found[:, 3].any()
