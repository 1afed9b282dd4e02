"""Fresh SCMs drawn on the device (activa.data.scm_device) follow the numpy generator's distribution."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from activa import config as cfg
from activa.data import scm, scm_device


@pytest.fixture(scope="module")
def paper(root):
    return cfg.load_config([root / "config/config.yaml"])


def test_two_variable_graphs_have_the_known_edge_probabilities():
    graphs = np.asarray(scm_device.sample_graphs(jax.random.key(0), 40_000, 2, 0.3))
    no_edge = ~graphs.any(axis=(1, 2))
    forward, backward = graphs[:, 0, 1], graphs[:, 1, 0]
    assert not (forward & backward).any()
    # no edge: 0.7^2 = 0.49; each direction 0.3 * 0.7 + 0.3^2 / 2 = 0.255 (README, Data)
    assert abs(no_edge.mean() - 0.49) < 0.01
    assert abs(forward.mean() - 0.255) < 0.01 and abs(backward.mean() - 0.255) < 0.01


def test_eight_variable_graphs_are_acyclic_and_match_the_numpy_generator():
    n = 20_000
    ours = np.asarray(scm_device.sample_graphs(jax.random.key(1), n, 8, 0.3))
    theirs = scm.sample_graphs(np.random.default_rng(1), n, 8, 0.3)
    assert scm.is_acyclic(ours).all()
    edges_ours, edges_theirs = ours.sum(axis=(1, 2)), theirs.sum(axis=(1, 2))
    # means of about 10 edges, standard error of the difference about 0.03
    assert abs(edges_ours.mean() - edges_theirs.mean()) < 0.12, (edges_ours.mean(), edges_theirs.mean())
    assert abs(edges_ours.std() - edges_theirs.std()) < 0.1
    # every ordered pair equally likely to be an edge (the generator is exchangeable in the variables)
    per_pair = ours.mean(axis=0)[~np.eye(8, dtype=bool)]
    assert np.ptp(per_pair) < 0.04 and abs(per_pair.mean() - theirs.mean(axis=0)[~np.eye(8, dtype=bool)].mean()) < 0.01


@pytest.mark.parametrize("family", ["gauss8", "beta8"])
def test_parameters_and_samples_have_the_closed_form_moments(paper, family):
    """Weights and noise parameters in their ranges; every regime's sample means are the closed-form means up to
    sampling noise: standardised errors of 1,000 SCMs x 8 regimes x 8 variables have mean 0 and variance 1."""
    spec = cfg.family(paper, family)
    n_scm, d, n = 1000, 8, spec["samples_per_regime"]
    key_scm, key_samples = jax.random.split(jax.random.key(2))
    drawn = scm_device.sample_scms(key_scm, n_scm, spec)
    weights = np.asarray(drawn.weights, np.float64)
    magnitude = np.abs(weights[np.asarray(drawn.adjacency)])
    assert magnitude.min() >= 0.5 and magnitude.max() <= 2.0 and (weights[~np.asarray(drawn.adjacency)] == 0).all()
    assert abs((weights[np.asarray(drawn.adjacency)] > 0).mean() - 0.5) < 0.02
    target = jnp.broadcast_to(jnp.arange(d), (n_scm, d))
    obs, intv = scm_device.sample_regimes(key_samples, drawn, spec, target, jnp.zeros_like(target))
    linear = scm.LinearSCMs(np.asarray(drawn.adjacency), weights, spec["noise"]["family"],
                            np.asarray(drawn.noise_params, np.float64))
    regimes = scm.Regimes.single_target(d, spec["intervention_values"])
    mu, cov = scm.interventional_moments(linear, regimes, spec["jitter_std"])  # [S, R, d], [S, R, d, d]
    samples = np.concatenate([np.asarray(obs)[:, None], np.asarray(intv)], axis=1)  # regime order of `regimes`
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1) / n)
    z = (samples.mean(axis=2) - mu) / sd
    assert np.isfinite(z).all()
    assert abs(z.mean()) < 0.02 and abs(z.var() - 1) < 0.04, (z.mean(), z.var())
    np.testing.assert_array_equal(np.asarray(intv)[:, np.arange(d), :, np.arange(d)].shape, (d, n_scm, n))
    on_target = np.asarray(intv)[np.arange(n_scm)[:, None], np.arange(d)[None], :, np.arange(d)[None]]
    assert abs(on_target.mean() - 5.0) < 0.01 and abs(on_target.std() - spec["jitter_std"]) < 0.005
    if spec["noise"]["family"] == "beta":
        ab = np.asarray(drawn.noise_params)
        assert ab.min() >= 0.5 and ab.max() <= 2.0


def test_a_batch_has_the_training_layout_and_v1_pools_restrict_the_graphs(paper):
    spec = cfg.family(paper, "gauss2")
    obs, intv, target, value_index = scm_device.sample_batch(jax.random.key(3), spec, 64, "one")
    assert obs.shape == intv.shape == (64, 40, 2) and target.shape == value_index.shape == (64,)
    assert set(np.asarray(target).tolist()) == {0, 1} and (np.asarray(value_index) == 0).all()
    np.testing.assert_allclose(np.asarray(intv)[np.arange(64), :, np.asarray(target)].mean(), 5.0, atol=0.01)
    spec8 = cfg.family(paper, "v1_gauss8")
    pool = scm_device.graph_pool_of({"config": spec8, "seed": paper["seed"], "family": "v1_gauss8"})
    assert pool.shape == (2000, 8, 8)
    obs, intv, target, _ = scm_device.sample_batch(jax.random.key(4), spec8, 16, "all", jnp.asarray(pool))
    assert obs.shape == intv.shape == (16 * 8, 30, 8)
    np.testing.assert_array_equal(np.asarray(target), np.tile(np.arange(8), 16))  # SCM-major, as a split's batch
    np.testing.assert_array_equal(np.asarray(obs)[:8], np.repeat(np.asarray(obs)[:1], 8, axis=0))
    graphs = scm_device.sample_scms(jax.random.key(5), 200, spec8, jnp.asarray(pool)).adjacency
    members = {g.tobytes() for g in pool}
    assert all(g.tobytes() in members for g in np.asarray(graphs))
