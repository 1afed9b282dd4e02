"""ACTIVA v1: VAMP prior density, permutation symmetries, Table 5 configs, training and the API."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from activa.config import load_config
from activa.data.simulate import simulate_split
from activa.model import architectures, checkpoint
from activa.model.api import TrainedModel
from activa.model.train import TrainConfig, fit, init_params
from activa.model.v1 import ActivaV1, ModelV1Config
from activa.model.v2 import augment
from activa.model.variants import variant_configs

CFG = ModelV1Config(n_values=2, n_vars=4, heads=3, K=2, e=8, h=16, c=3, L=2, latent=2, dropout=0.0,
                    pseudo_inputs=5, pseudo_samples=6)
B, N, D = 3, 7, 4


def aug(obs, target, vi):
    return augment(obs, target, vi, CFG.n_values)


@pytest.fixture(scope="module")
def setup():
    model = ActivaV1(CFG)
    params = init_params(model, jax.random.key(0), D, N)
    rng = np.random.default_rng(0)
    obs = jnp.asarray(rng.standard_normal((B, N, D)), jnp.float32)
    intv = jnp.asarray(rng.standard_normal((B, N, D)) + 1, jnp.float32)
    return model, params, obs, intv, jnp.array([0, 2, 3]), jnp.array([1, 0, 1])


def test_vamp_prior_is_the_mixture_of_encoder_posteriors_at_the_pseudo_inputs(setup):
    model, params, *_ = setup
    pseudo = np.asarray(params["params"]["pseudo_inputs"])
    assert pseudo.shape == (5, 6, D, 3)
    z = np.random.default_rng(3).standard_normal((4, D, CFG.latent))
    got = np.asarray(model.apply(params, jnp.asarray(z, jnp.float32), method="prior_logpdf"))
    # brute force: run the encoder on each pseudo dataset alone, then average the Gaussian densities
    comps = []
    for p in range(CFG.pseudo_inputs):
        mu, logvar = model.apply(params, jnp.asarray(pseudo[p:p + 1]), method="posterior")
        cov = np.diag(np.exp(np.asarray(logvar[0], np.float64)).ravel())
        comps.append(stats.multivariate_normal(np.asarray(mu[0], np.float64).ravel(), cov).logpdf(z.reshape(4, -1)))
    want = logsumexp(np.stack(comps), axis=0) - np.log(CFG.pseudo_inputs)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_vamp_prior_names_its_number_of_variables(setup):
    model, params, *_ = setup
    with pytest.raises(ValueError, match=r"the VAMP prior is defined for 4 variables \(its pseudo-inputs\); "
                                         r"got z with 3"):
        model.apply(params, jnp.zeros((1, 3, 2)), method="prior_logpdf")


def test_permutation_symmetries(setup):
    model, params, obs, _, target, vi = setup
    perm = np.array([2, 0, 3, 1])
    inverse = np.argsort(perm)
    target_p = jnp.asarray(inverse[np.asarray(target)])
    sample_perm = np.random.default_rng(1).permutation(N)
    mu, logvar = model.apply(params, aug(obs, target, vi), method="posterior")
    mu_p, logvar_p = model.apply(params, aug(obs[:, :, perm], target_p, vi), method="posterior")
    mu_s, logvar_s = model.apply(params, aug(obs[:, sample_perm], target, vi), method="posterior")
    # encoder: equivariant in variables, invariant in samples
    np.testing.assert_allclose(mu_p, mu[:, perm], atol=1e-5)
    np.testing.assert_allclose(logvar_p, logvar[:, perm], atol=1e-5)
    np.testing.assert_allclose(mu_s, mu, atol=1e-5)
    np.testing.assert_allclose(logvar_s, logvar, atol=1e-5)
    # decoder (z with the query appended): equivariant means and covariances, invariant weights
    w, m, c = model.apply(params, mu, target, vi, method="decode_query")
    wp, mp, cp = model.apply(params, mu[:, perm], target_p, vi, method="decode_query")
    np.testing.assert_allclose(wp, w, atol=1e-5)
    np.testing.assert_allclose(mp, m[:, :, perm], atol=1e-5)
    np.testing.assert_allclose(cp, c[:, :, perm][:, :, :, perm], atol=1e-5)
    assert (np.linalg.eigvalsh(np.asarray(c, np.float64)) > 0).all()


def test_decoder_depends_on_the_query(setup):
    model, params, obs, _, target, vi = setup
    mu, _ = model.apply(params, aug(obs, target, vi), method="posterior")
    _, m0, _ = model.apply(params, mu, target, vi, method="decode_query")
    _, m1, _ = model.apply(params, mu, target, 1 - vi, method="decode_query")
    assert not np.allclose(m0, m1, atol=1e-4)


# v1 Table 5: batch size, heads, K, dropout, e, d (our latent size), c, L, epochs, lr, seed, beta.
TABLE5 = {
    "v1_gaussian": (1800, 6, 2, 0.1, 16, 2, 10, 4, 20000, 0.001, 42, 0.01),
    "v1_gaussian1": (350, 6, 2, 0.1, 16, 8, 1, 4, 10000, 0.001, 42, 0.0005),
    "v1_gaussian10": (350, 6, 2, 0.1, 16, 8, 10, 4, 9650, 0.001, 42, 0.0005),
    "v1_beta": (1800, 6, 2, 0.1, 16, 2, 10, 4, 20000, 0.001, 42, 0.005),
    "v1_beta1": (350, 6, 2, 0.1, 16, 8, 1, 4, 10000, 0.001, 42, 0.0005),
    "v1_beta10": (350, 6, 2, 0.1, 16, 8, 10, 4, 9650, 0.001, 42, 0.0005),
    "v1_sergio": (256, 8, 2, 0.1, 16, 8, 15, 4, 20000, 0.0005, 42, 0.005),
}


@pytest.fixture(scope="module")
def paper_config(root):
    return load_config([root / "config/config.yaml"])  # validates against the schema


@pytest.mark.parametrize("variant", sorted(TABLE5))
def test_table5_rows_are_configured_and_build_a_model(paper_config, variant):
    model_cfg, tcfg, spec = variant_configs(paper_config, variant)
    got = (tcfg.batch_size, model_cfg.heads, model_cfg.K, model_cfg.dropout, model_cfg.e, model_cfg.latent,
           model_cfg.c, model_cfg.L, tcfg.epochs, tcfg.lr, tcfg.seed, tcfg.beta)
    assert got == TABLE5[variant]
    assert architectures.name_of(model_cfg) == "v1" and tcfg.regimes == "all"
    d = paper_config["families"][spec["train_on"]]["n_vars"]
    assert model_cfg.n_vars == d
    model = architectures.build(model_cfg)
    # traced abstractly (shapes only): builds every layer at paper size without computing
    params = jax.eval_shape(lambda: init_params(model, jax.random.key(0), d, 5))
    assert params["params"]["pseudo_inputs"].shape == (50, 20, d, 2)
    x = jax.ShapeDtypeStruct((2, 5, d), jnp.float32)
    i = jax.ShapeDtypeStruct((2,), jnp.int32)
    nll, kl = jax.eval_shape(lambda p, x, i: model.apply(p, x, x, i, i, method="loss_terms",
                                                         rngs={"latent": jax.random.key(1)}), params, x, i)
    assert nll.shape == kl.shape == (2,)


TINY = ModelV1Config(n_values=1, n_vars=2, heads=2, K=1, e=8, h=16, c=2, L=2, latent=2, dropout=0.0,
                     pseudo_inputs=4, pseudo_samples=5)


@pytest.fixture(scope="module")
def tiny_data(root):
    config = load_config([root / "config/config.yaml", root / "config/smoke.yaml"])
    return simulate_split(config, "gauss2", "train", progress=False)[1]


def test_v1_training_on_all_regimes_learns(tiny_data, tmp_path):
    tcfg = TrainConfig(batch_size=8, epochs=40, lr=3e-3, beta=0.01, regimes="all", steps_per_call=40,
                       checkpoint_every=40)  # 40 * ceil(20 / 8) = 120 steps
    _, log = fit(tiny_data, TINY, tcfg, tmp_path / "a", progress=False)  # same loop as v2 (resume tested there)
    assert len(log) == 120 and log["nonfinite"].sum() == 0
    assert log["recon"].iloc[-20:].mean() < 0.7 * log["recon"].iloc[:10].mean()
    with pytest.raises(ValueError, match="regimes: expected 'one' or 'all', got 'some'"):
        fit(tiny_data, TINY, TrainConfig(regimes="some"), tmp_path / "c", progress=False)


def test_api_loads_a_v1_model_and_predicts_any_number_of_variables(setup, tmp_path):
    model, params, *_ = setup
    path = tmp_path / "model.msgpack"
    checkpoint.save(path, {"params": params}, {"architecture": "v1", "model_config": CFG.to_dict(),
                                               "intervention_values": [5.0, -5.0]})
    trained = TrainedModel.load(path)
    assert isinstance(trained.module, ActivaV1)
    obs = np.random.default_rng(4).standard_normal((20, 6))  # 6 variables: the encoder and decoder take any d
    pred = trained.predict(obs, target=5, value_index=1, n_latents=4, seed=2)
    assert pred.samples.shape == (20, 6) and pred.weights.shape == (12,) and np.isclose(pred.weights.sum(), 1)
    again = trained.predict(obs, target=5, value_index=1, n_latents=4, seed=2)
    np.testing.assert_array_equal(pred.samples, again.samples)
    checkpoint.save(path, {"params": params}, {"architecture": "v3", "model_config": CFG.to_dict()})
    with pytest.raises(ValueError, match=r"model\.msgpack: unknown architecture 'v3', expected one of v2, v1"):
        TrainedModel.load(path)
