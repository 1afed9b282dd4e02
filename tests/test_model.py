"""ACTIVA model: shapes, permutation symmetries, mixture densities, training, resume, inference, API errors."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from activa.model import checkpoint, mixture
from activa.model.api import TrainedModel
from activa.model.train import TrainConfig, fit, init_params, lr_scale
from activa.model.v2 import ACTIVA, ModelConfig, augment

CFG = ModelConfig(n_values=2, heads=2, K=2, e=16, h=16, c=2, k=3, L=2, latent=2, dropout=0.0)
B, N, D = 3, 7, 4


@pytest.fixture(scope="module")
def setup():
    model = ACTIVA(CFG)
    params = init_params(model, jax.random.key(0), D, N)
    rng = np.random.default_rng(0)
    obs = jnp.asarray(rng.standard_normal((B, N, D)), jnp.float32)
    intv = jnp.asarray(rng.standard_normal((B, N, D)) + 1, jnp.float32)
    target, vi = jnp.array([0, 2, 3]), jnp.array([1, 0, 1])
    return model, params, obs, intv, target, vi


def forward(setup, obs, intv, target):
    model, params, _, _, _, vi = setup
    out = model.apply(params, augment(obs, target, vi, 2), augment(intv, target, vi, 2), False,
                      rngs={"latent": jax.random.key(1)})
    return out


def test_shapes(setup):
    out = forward(setup, *setup[2:5])
    w, m, c = out["decoded"]
    assert out["prior_logits"].shape == (B, 3) and out["prior_means"].shape == (B, 3, D, 2)
    assert out["mu"].shape == (B, D, 2) and w.shape == (B, 2) and m.shape == (B, 2, D) and c.shape == (B, 2, D, D)
    assert np.allclose(w.sum(-1), 1)


def test_intervention_representation_marks_only_the_target():
    rep = augment(jnp.zeros((2, 3, 4)), jnp.array([1, 3]), jnp.array([0, 1]), 2)[..., 1:]
    assert rep.shape == (2, 3, 4, 2)
    assert rep[0, :, 1, 0].tolist() == [1, 1, 1] and rep[1, :, 3, 1].tolist() == [1, 1, 1]
    assert float(rep.sum()) == 6


def test_permutation_symmetries(setup):
    model, params, obs, intv, target, vi = setup
    perm = np.array([2, 0, 3, 1])
    inverse = np.argsort(perm)
    sample_perm = np.random.default_rng(1).permutation(N)
    base = forward(setup, obs, intv, target)
    permuted = forward(setup, obs[:, :, perm], intv[:, :, perm], jnp.asarray(inverse[np.asarray(target)]))
    shuffled = forward(setup, obs[:, sample_perm], intv[:, sample_perm[::-1]], target)
    # prior and encoder: equivariant in variables, invariant in samples
    assert np.allclose(permuted["prior_means"], base["prior_means"][:, :, perm], atol=1e-5)
    assert np.allclose(permuted["prior_logits"], base["prior_logits"], atol=1e-5)
    assert np.allclose(permuted["mu"], base["mu"][:, perm], atol=1e-5)
    for key in ("prior_means", "prior_logits", "mu"):
        assert np.allclose(shuffled[key], base[key], atol=1e-5), key
    # decoder: equivariant means and covariances, invariant weights
    z = base["z"]
    w, m, c = model.apply(params, z, False, method=ACTIVA.decode)
    wp, mp, cp = model.apply(params, z[:, perm], False, method=ACTIVA.decode)
    assert np.allclose(wp, w, atol=1e-5) and np.allclose(mp, m[:, :, perm], atol=1e-5)
    assert np.allclose(cp, c[:, :, perm][:, :, :, perm], atol=1e-5)


def test_covariances_are_positive_definite(setup):
    covs = forward(setup, *setup[2:5])["decoded"][2]
    assert (np.linalg.eigvalsh(np.asarray(covs, np.float64)) > 0).all()


def test_mixture_logpdf_matches_scipy():
    rng = np.random.default_rng(2)
    d, c = 3, 4
    a = rng.standard_normal((c, d, d))
    covs = a @ a.transpose(0, 2, 1) + 0.3 * np.eye(d)
    means, weights = rng.standard_normal((c, d)), rng.dirichlet(np.ones(c))
    x = rng.standard_normal((6, d))
    ref = np.log(sum(w * stats.multivariate_normal(m, s).pdf(x) for w, m, s in zip(weights, means, covs)))
    got = mixture.mixture_logpdf(jnp.asarray(x), jnp.asarray(weights), jnp.asarray(means), jnp.asarray(covs))
    assert np.allclose(got, ref, rtol=1e-5)
    z, mu = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    iso = mixture.isotropic_logpdf(jnp.asarray(z), jnp.asarray(mu), 0.1)
    assert np.isclose(iso, stats.multivariate_normal(mu.ravel(), 0.1 * np.eye(8)).logpdf(z.ravel()), rtol=1e-5)


def test_mixture_logpdf_keeps_batch_items_apart():
    # x [B, n, d] is scored under its own item's mixture [B, c, ...] only, never under another item's.
    rng = np.random.default_rng(5)
    b, n, d, c = 3, 4, 2, 2
    a = rng.standard_normal((b, c, d, d))
    covs = a @ np.swapaxes(a, -1, -2) + 0.5 * np.eye(d)
    means, weights = rng.standard_normal((b, c, d)), rng.dirichlet(np.ones(c), size=b)
    x = rng.standard_normal((b, n, d))
    got = mixture.mixture_logpdf(jnp.asarray(x), jnp.asarray(weights), jnp.asarray(means), jnp.asarray(covs))
    assert got.shape == (b, n)
    for i in range(b):
        ref = np.log(sum(w * stats.multivariate_normal(m, s).pdf(x[i]) for w, m, s in zip(weights[i], means[i], covs[i])))
        assert np.allclose(got[i], ref, rtol=1e-5)


def test_cholesky_and_forward_substitution_match_numpy():
    rng = np.random.default_rng(6)
    for d in (1, 3, 8):
        m = rng.standard_normal((4, 2, d, d + 2))
        a = m @ np.swapaxes(m, -1, -2) + 5e-5 * np.eye(d)
        low = np.asarray(mixture.cholesky(jnp.asarray(a, jnp.float32)), np.float64)
        assert np.allclose(low, np.linalg.cholesky(a), rtol=1e-4, atol=1e-4)
        b = rng.standard_normal((4, 5, 2, d))  # broadcasts against low [4, 1, 2, d, d]
        y = np.asarray(mixture.solve_lower(jnp.asarray(low[:, None], jnp.float32), jnp.asarray(b, jnp.float32)))
        assert y.shape == (4, 5, 2, d)
        assert np.allclose(np.einsum("...ij,...j->...i", low[:, None], y), b, atol=1e-4)


def test_cholesky_log_determinant_has_the_analytic_gradient():
    # d/dM log det(M M^T + I) = 2 (M M^T + I)^{-1} M
    rng = np.random.default_rng(7)
    m = rng.standard_normal((3, 4))
    a = m @ m.T + np.eye(3)

    def log_det(m):
        low = mixture.cholesky(m @ m.T + jnp.eye(3))
        return 2.0 * jnp.log(jnp.diagonal(low)).sum()

    assert np.isclose(log_det(jnp.asarray(m, jnp.float32)), np.linalg.slogdet(a)[1], rtol=1e-5)
    grad = np.asarray(jax.grad(log_det)(jnp.asarray(m, jnp.float32)))
    assert np.allclose(grad, 2.0 * np.linalg.solve(a, m), atol=1e-4)


def test_training_gradient_calls_no_lapack_kernel(setup):
    # jaxlib 0.10.2's batched CPU LAPACK kernels deadlock when two run at once on a 2-thread pool (mixture.py)
    model, params, obs, intv, target, vi = setup

    def loss(p):
        nll, kl = model.apply(p, obs, intv, target, vi, False, method="loss_terms", rngs={"latent": jax.random.key(1)})
        return (nll + kl).sum()

    hlo = jax.jit(jax.grad(loss)).lower(params).as_text().lower()
    assert "lapack" not in hlo and "cholesky" not in hlo and "triangular" not in hlo


def test_low_rank_sampler_has_the_gaussian_moments():
    """mean + u xi + sqrt(eps) zeta is a draw of N(mean, u u^T + eps I), per batch item."""
    means = jnp.array([[0.0, 5.0, -1.0], [2.0, -1.0, 0.5]])
    u = jnp.asarray(np.random.default_rng(2).standard_normal((2, 3, 4)), jnp.float32)
    n, eps = 200_000, 0.3
    x = np.asarray(means + mixture.low_rank_deviation(jax.random.key(3), jnp.broadcast_to(u, (n, 2, 3, 4)), eps))
    for i in range(2):
        cov = np.asarray(u[i] @ u[i].T) + eps * np.eye(3)
        se = np.sqrt(np.diag(cov) / n)
        assert np.all(np.abs(x[:, i].mean(0) - means[i]) < 5 * se)
        cov_se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
        assert np.all(np.abs(np.cov(x[:, i].T) - cov) < 5 * cov_se)


@pytest.mark.parametrize("n_samples", [30, 60])  # fewer than the 40 latents: only the picked ones are decoded
def test_predicted_samples_have_the_moments_of_the_decoded_mixture(setup, n_samples):
    """Given a query's 40 latents, its predicted samples are draws of the uniform mixture of their 40 decoded
    (c = 2) mixtures, whether only the picked latents are decoded (30 samples) or all of them (60)."""
    from activa.model.inference import sample_decoded

    model, params, *_ = setup
    z = jax.random.normal(jax.random.key(5), (1, 40, D, CFG.latent))
    target, vi = jnp.array([2]), jnp.array([1])
    _, (w, m, c) = sample_decoded(params, model, z, target, vi, jax.random.key(0), 5, mixture=True)
    w, m, c = np.asarray(w[0], np.float64), np.asarray(m[0], np.float64), np.asarray(c[0], np.float64)
    assert w.shape == (80,) and np.isclose(w.sum(), 1, atol=1e-5)
    mean = w @ m
    cov = np.einsum("c,cij->ij", w, c + np.einsum("ci,cj->cij", m, m)) - np.outer(mean, mean)
    copies = 20_000 // n_samples  # the same latents in every query: independent draws of one mixture
    x, none = sample_decoded(params, model, jnp.repeat(z, copies, axis=0), jnp.repeat(target, copies),
                             jnp.repeat(vi, copies), jax.random.key(1), n_samples)
    x = np.asarray(x, np.float64).reshape(-1, D)
    assert none is None
    n = len(x)
    assert np.all(np.abs(x.mean(0) - mean) < 5 * np.sqrt(np.diag(cov) / n))
    cov_se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(np.cov(x.T) - cov) < 6 * cov_se)


@pytest.fixture(scope="module")
def tiny_data(smoke_config_module):
    from activa.data.simulate import simulate_split

    return simulate_split(smoke_config_module, "gauss2", "train", progress=False)[1]


@pytest.fixture(scope="module")
def smoke_config_module(root):
    from activa.config import load_config

    return load_config([root / "config/config.yaml", root / "config/smoke.yaml"])


TINY = ModelConfig(n_values=1, heads=1, K=1, e=8, h=8, c=1, k=2, L=2, latent=2, dropout=0.0)


def test_loss_decreases_on_a_tiny_problem(tiny_data, tmp_path):
    tcfg = TrainConfig(batch_size=16, epochs=120, lr=3e-3, steps_per_call=40, checkpoint_every=40)
    _, log = fit(tiny_data, TINY, tcfg, tmp_path / "ck", progress=False)
    assert len(log) == 240 and log["nonfinite"].sum() == 0
    assert log["loss"].iloc[-40:].mean() < 0.7 * log["loss"].iloc[:20].mean()


def test_resume_continues_the_same_run(tiny_data, tmp_path):
    tcfg = TrainConfig(batch_size=8, epochs=6, steps_per_call=2, checkpoint_every=4)  # 6 * ceil(20 / 8) = 18 steps
    full, full_log = fit(tiny_data, TINY, tcfg, tmp_path / "a", progress=False)
    fit(tiny_data, TINY, tcfg, tmp_path / "b", progress=False, stop_after=4)  # "killed" after step 4
    resumed, resumed_log = fit(tiny_data, TINY, tcfg, tmp_path / "b", progress=False)
    for a, b in zip(jax.tree.leaves(full), jax.tree.leaves(resumed)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert resumed_log["step"].tolist() == list(range(1, 19)) == full_log["step"].tolist()
    np.testing.assert_array_equal(full_log["loss"], resumed_log["loss"])
    other = dataclasses.replace(tcfg, lr=1e-2)
    with pytest.raises(ValueError, match="checkpoint of a different run"):
        fit(tiny_data, TINY, other, tmp_path / "b", progress=False)


def test_lr_schedule_warms_up_then_decays_to_zero():
    steps = jnp.arange(100)
    cosine = np.asarray(lr_scale(steps, 100, "cosine", 0.1))
    np.testing.assert_allclose(cosine[:10], np.arange(1, 11) / 10, rtol=1e-6)  # linear warm-up over 10 steps
    assert np.all(np.diff(cosine[10:]) < 0) and cosine[-1] < 1e-3  # then down to (almost) 0 at the end
    np.testing.assert_allclose(cosine[55], 0.5, atol=1e-6)  # cosine: half-way through the decay, half the rate
    linear = np.asarray(lr_scale(steps, 100, "linear", 0.0))
    np.testing.assert_allclose(linear, 1 - np.arange(100) / 100, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(lr_scale(steps, 100, "constant", 0.0)), 1.0)


def test_a_step_budget_replaces_epochs_and_its_schedule_resumes_exactly(tiny_data, tmp_path):
    tcfg = TrainConfig(batch_size=8, epochs=50, lr=1e-3, steps_per_call=2, checkpoint_every=4, budget_steps=10,
                       schedule="cosine", warmup=0.2)
    full, log = fit(tiny_data, TINY, tcfg, tmp_path / "a", progress=False)
    assert log["step"].tolist() == list(range(1, 11))  # 10 steps, not 50 epochs
    np.testing.assert_allclose(log["lr"], 1e-3 * np.asarray(lr_scale(jnp.arange(10), 10, "cosine", 0.2)), rtol=1e-6)
    fit(tiny_data, TINY, tcfg, tmp_path / "b", progress=False, stop_after=4)
    resumed, resumed_log = fit(tiny_data, TINY, tcfg, tmp_path / "b", progress=False)
    for a, b in zip(jax.tree.leaves(full), jax.tree.leaves(resumed)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    constant, _ = fit(tiny_data, TINY, dataclasses.replace(tcfg, schedule="constant", warmup=0.0), tmp_path / "c",
                      progress=False)
    assert any(not np.array_equal(a, b) for a, b in zip(jax.tree.leaves(full), jax.tree.leaves(constant)))


def test_a_wall_clock_budget_fixes_whole_chunks_and_a_resumed_run_keeps_them(tiny_data, tmp_path):
    tcfg = TrainConfig(batch_size=8, epochs=1, steps_per_call=4, checkpoint_every=4, budget_seconds=0.5,
                       schedule="cosine", warmup=0.1)
    with pytest.raises(ValueError, match="a wall-clock budget fixes its steps when training starts"):
        tcfg.total_steps(20)
    _, first = fit(tiny_data, TINY, tcfg, tmp_path / "a", progress=False, stop_after=4)
    saved = checkpoint.load(tmp_path / "a")[1]
    assert saved["step"] == 4 and saved["total_steps"] % 4 == 0 and saved["total_steps"] >= 4
    _, log = fit(tiny_data, TINY, tcfg, tmp_path / "a", progress=False)
    assert len(log) == saved["total_steps"]


@pytest.fixture
def trained(setup, tmp_path):
    model, params, *_ = setup
    path = tmp_path / "model.msgpack"
    checkpoint.save(path, {"params": params}, {"model_config": CFG.to_dict(), "intervention_values": [5.0, -5.0]})
    return TrainedModel.load(path)


def test_api_predicts_samples_and_mixture(trained):
    obs = np.random.default_rng(4).standard_normal((20, 3))
    pred = trained.predict(obs, target=1, value_index=0, n_latents=5, seed=1)
    assert pred.samples.shape == (20, 3) and pred.weights.shape == (10,) and pred.covs.shape == (10, 3, 3)
    assert np.isclose(pred.weights.sum(), 1, atol=1e-5)
    again = trained.predict(obs, target=1, value_index=0, n_latents=5, seed=1)
    np.testing.assert_array_equal(pred.samples, again.samples)


def test_api_errors(trained):
    obs = np.zeros((10, 3))
    with pytest.raises(ValueError, match=r"observational: expected an array of real numbers, got dtype <U1"):
        trained.predict(np.full((10, 3), "a"), 0, 0)
    with pytest.raises(ValueError, match=r"observational: expected shape \[N, d\] .* got shape \(10,\)"):
        trained.predict(np.zeros(10), 0, 0)
    bad = obs.copy()
    bad[4, 2] = np.nan
    with pytest.raises(ValueError, match=r"^observational: nan at sample 4, variable 2: expected finite values of "
                                         r"magnitude at most 1e\+18 \(the model computes in float32; larger inputs "
                                         r"overflow\)$"):
        trained.predict(bad, 0, 0)
    bad[4, 2], bad[6, 1] = 1e18, -1e30  # 1e18 is still computed with
    with pytest.raises(ValueError, match=r"^observational: -1e\+30 at sample 6, variable 1: expected finite"):
        trained.predict(bad, 0, 0)
    with pytest.raises(ValueError, match=r"^observational: inf at sample 0, variable 0: expected finite"):
        trained.predict(np.full((10, 3), np.inf), 0, 0)
    with pytest.raises(ValueError, match=r"target: expected a variable index in 0\.\.2, got 3"):
        trained.predict(obs, 3, 0)
    with pytest.raises(ValueError, match=r"value_index: expected an index in 0\.\.1 into the model's intervention "
                                         r"values \(5\.0, -5\.0\), got 2"):
        trained.predict(obs, 0, 2)


DROPOUT_CFG = dataclasses.replace(CFG, dropout=0.3)  # same parameters; dropout only acts at inference if asked


def mixture_moments(w, m, c):
    """Mean and covariance of a Gaussian mixture (weights [M], means [M, d], covs [M, d, d])."""
    mean = w @ m
    return mean, np.einsum("c,cij->ij", w, c + np.einsum("ci,cj->cij", m, m)) - np.outer(mean, mean)


@pytest.mark.parametrize("n_samples", [30, 60])
def test_dropout_predictions_have_the_moments_of_the_mixture_over_latents_and_masks(setup, n_samples):
    """With dropout on in the decoder, a query's samples are draws of the mixture over its latents and dropout
    masks: their mean and covariance match that mixture's, estimated by pooling many decodings of the 40 latents
    (each with its own masks), within 6 standard errors; and they differ from the deterministic network's."""
    from activa.model.inference import sample_decoded

    _, params, *_ = setup
    model = ACTIVA(DROPOUT_CFG)
    z = jax.random.normal(jax.random.key(5), (1, 40, D, CFG.latent))
    target, vi = jnp.array([2]), jnp.array([1])
    copies = 20_000 // n_samples
    rep = lambda a: jnp.repeat(a, copies, axis=0)
    _, (w, m, c) = sample_decoded(params, model, rep(z), rep(target), rep(vi), jax.random.key(0), 5, True, "decoder")
    mean, cov = mixture_moments(np.asarray(w, np.float64).reshape(-1) / copies,
                                np.asarray(m, np.float64).reshape(-1, D), np.asarray(c, np.float64).reshape(-1, D, D))
    x, _ = sample_decoded(params, model, rep(z), rep(target), rep(vi), jax.random.key(1), n_samples,
                          dropout="decoder")
    x = np.asarray(x, np.float64).reshape(-1, D)
    n = len(x)
    assert np.all(np.abs(x.mean(0) - mean) < 6 * np.sqrt(np.diag(cov) / n))
    cov_se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(np.cov(x.T) - cov) < 6 * cov_se)
    _, (w0, m0, c0) = sample_decoded(params, model, z, target, vi, jax.random.key(0), 5, True)
    _, cov_off = mixture_moments(*(np.asarray(a[0], np.float64) for a in (w0, m0, c0)))
    # dropout widens the prediction (not a no-op): total variance higher by many standard errors
    assert np.trace(cov) - np.trace(cov_off) > 6 * np.sqrt(np.sum(np.diag(cov_se) ** 2))


def test_a_scale_multiplies_the_deviations_per_role(setup):
    """samples = centres + D deviations, D = scale_target on the target's row and scale_other elsewhere, from the
    same draws; the mixture's covariances become D Sigma D; no scale is the unscaled draw byte for byte."""
    from activa.model.inference import predict_batch

    model, params, obs, _, target, vi = setup
    key = jax.random.key(3)
    centres, deviations = predict_batch(params, model, obs, target, vi, key, 6, 9, parts=True)
    plain, (w, m, c) = predict_batch(params, model, obs, target, vi, key, 6, 9, mixture=True)
    np.testing.assert_array_equal(plain, centres + deviations)
    scaled, (ws, ms, cs) = predict_batch(params, model, obs, target, vi, key, 6, 9, mixture=True,
                                         scale=jnp.asarray([0.5, 3.0]))
    rows = np.where(np.arange(D)[None] == np.asarray(target)[:, None], 0.5, 3.0)  # [B, D]
    np.testing.assert_allclose(scaled, centres + rows[:, None] * deviations, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(cs, c * rows[:, None, :, None] * rows[:, None, None, :], rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(ws, w)
    np.testing.assert_array_equal(ms, m)


def test_dropout_everywhere_draws_each_latent_from_its_own_prior(setup):
    """dropout "all": each latent of each query is drawn from the prior computed with its own dropout masks (its
    own keys: no mask shared, as Flax's attention dropout would share one over a batch); the masks change the
    prior."""
    from activa.model.inference import _row_keys, latents_with_dropout

    _, params, obs, _, target, vi = setup
    model = ACTIVA(DROPOUT_CFG)
    z_all = latents_with_dropout(params, model, obs, target, vi, jax.random.key(0), 4)
    assert z_all.shape == (B, 4, D, CFG.latent)
    draw_keys, mask_keys = _row_keys(jax.random.key(0), B * 4)
    for q, j in ((0, 0), (1, 3), (2, 1)):
        row = q * 4 + j
        alone = model.apply(params, obs[q:q + 1], target[q:q + 1], vi[q:q + 1], 1, True, method="sample_latents",
                            rngs={"latent": draw_keys[row], "dropout": mask_keys[row]})
        np.testing.assert_allclose(z_all[q, j], alone[0, 0], rtol=1e-5, atol=1e-6)
    aug = augment(obs, target, vi, 2)
    (_, means_a), _ = model.apply(params, aug, True, method="prior", rngs={"dropout": jax.random.key(1)})
    (_, means_b), _ = model.apply(params, aug, True, method="prior", rngs={"dropout": jax.random.key(2)})
    assert not np.allclose(means_a, means_b)


def test_inference_setting_errors():
    from activa.model.inference import InferenceSetting

    with pytest.raises(ValueError, match=r"^dropout: expected one of off, decoder, all, got 'on'$"):
        InferenceSetting("on")
    with pytest.raises(ValueError, match=r"^scale_other: expected a positive finite number, got 0$"):
        InferenceSetting("off", 1.0, 0)
    with pytest.raises(ValueError, match=r"^m.msgpack: scale_target: expected a positive finite number, got nan$"):
        InferenceSetting.from_dict({"dropout": "off", "scale_target": float("nan"), "scale_other": 1.0}, "m.msgpack")
    with pytest.raises(ValueError, match=r"^m.msgpack: expected an inference setting with keys \['dropout', "
                                         r"'scale_other', 'scale_target'\], got \{'dropout': 'off'\}$"):
        InferenceSetting.from_dict({"dropout": "off"}, "m.msgpack")


def test_api_predicts_with_the_model_files_setting_by_default(setup, tmp_path):
    """A model file's chosen setting (metadata "inference") is the API's default; an explicit setting overrides
    it; a file without one predicts with dropout off and no scale."""
    from activa.model.inference import InferenceSetting

    _, params, *_ = setup
    chosen = InferenceSetting("decoder", 0.8, 1.7)
    path = tmp_path / "chosen.msgpack"
    checkpoint.save(path, {"params": params}, {"model_config": DROPOUT_CFG.to_dict(), "intervention_values": [5.0, -5.0],
                                               "inference": {"setting": chosen.to_dict()}})
    model = TrainedModel.load(path)
    assert model.setting == chosen
    obs = np.random.default_rng(4).standard_normal((20, 3))
    default = model.predict(obs, target=1, value_index=0, n_latents=5, seed=1)
    explicit = model.predict(obs, target=1, value_index=0, n_latents=5, seed=1, setting=chosen)
    plain = model.predict(obs, target=1, value_index=0, n_latents=5, seed=1, setting=InferenceSetting())
    np.testing.assert_array_equal(default.samples, explicit.samples)
    assert not np.allclose(default.samples, plain.samples)
    with pytest.raises(ValueError, match=r"setting: expected an activa.model.inference.InferenceSetting, got 'off'"):
        model.predict(obs, target=1, value_index=0, setting="off")
