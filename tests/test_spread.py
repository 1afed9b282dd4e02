"""Calibration readings (activa.eval.spread, metrics.energy_score) and the choice of an inference setting
(activa.eval.selection): statistical facts with tolerances, and the rule."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from activa.eval import metrics, selection, spread
from conftest import simulate_test_split


def test_energy_score_is_the_fair_ensemble_score_and_shifts_the_unbiased_energy_distance():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 12, 3)), rng.normal(size=(4, 9, 3)) + 0.3
    brute = [np.mean([np.linalg.norm(a - b) for a in x[p] for b in y[p]])
             - sum(np.linalg.norm(a - b) for a in y[p] for b in y[p]) / (2 * 9 * 8) for p in range(4)]
    np.testing.assert_allclose(metrics.energy_score(x, y), brute, rtol=1e-12)
    # 2 ES = ED (U-statistics) + the truth's own mean distance: for one truth it ranks predictions as the ED does
    within_x = np.array([sum(np.linalg.norm(a - b) for a in x[p] for b in x[p]) / (12 * 11) for p in range(4)])
    np.testing.assert_allclose(2 * metrics.energy_score(x, y),
                               metrics.energy_distance(x, y, unbiased=True) + within_x, rtol=1e-12)


def test_energy_score_is_lowest_for_the_true_distribution():
    """Proper: in expectation over truths, the true distribution scores below a too narrow, a too wide and a
    shifted one (2,000 pairs of 30 samples; the gaps are many standard errors)."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 30, 2))
    scores = {name: metrics.energy_score(x, rng.normal(size=(2000, 30, 2)) * sd + shift)
              for name, sd, shift in (("true", 1.0, 0.0), ("narrow", 0.6, 0.0), ("wide", 1.6, 0.0),
                                      ("shifted", 1.0, 0.3))}
    se = np.std(scores["true"]) / np.sqrt(2000)
    for name in ("narrow", "wide", "shifted"):
        assert scores[name].mean() > scores["true"].mean() + 3 * se, name


@pytest.fixture(scope="module")
def gauss2_resample():
    """A Gauss 2 test split (1,000 SCMs, 40 samples) and its truth_resample reference (a second draw of each SCM)."""
    from activa.data.scm import seed_sequence
    from activa.eval.references import truth_resample
    from activa.eval.scoring import pair_arrays

    config, scms, truth = simulate_test_split("gauss2", 1000, 40)
    pred = truth_resample(truth, scms, config["families"]["gauss2"], seed_sequence(0, "test", "resample"))
    x, y, _ = pair_arrays(truth, pred)
    return x, y, np.tile(pred.target, truth.samples.shape[0]).astype(np.int64)


def test_a_second_draw_of_the_truth_is_calibrated_by_construction(gauss2_resample):
    """truth_resample on a linear family is exchangeable with the truth: its randomised PIT is uniform, its
    central intervals cover at their level, its spread ratio is 1."""
    x, y, target = gauss2_resample
    counts = spread.pit_counts(x, y, target, np.random.default_rng(0))
    assert counts.sum() == x.shape[0] * x.shape[1] * (x.shape[2] - 1)
    total = counts.sum(axis=0)
    # the PITs of one pair's true samples share its predicted samples, so only one per pair is independent of the
    # others: those are uniform (2,000 values, 20 bins)
    first = spread.pit_values(x[:, :1], y, np.random.default_rng(1))[:, 0]
    first = first[np.arange(len(first)), 1 - target]  # the non-target variable
    assert stats.chisquare(np.histogram(first, spread.PIT_BINS, (0, 1))[0]).pvalue > 0.01
    assert abs(spread.coverage(total, 0.5) - 0.5) < 0.015 and abs(spread.coverage(total, 0.9) - 0.9) < 0.01
    sd = spread.spreads(x, y, target)
    assert abs(sd["spread_pred_other"].sum() / sd["spread_true_other"].sum() - 1) < 0.03
    assert abs(sd["spread_pred_target"].sum() / sd["spread_true_target"].sum() - 1) < 0.05


def test_a_too_narrow_prediction_undercovers_and_its_histogram_is_u_shaped(gauss2_resample):
    x, y, target = gauss2_resample
    narrow = y.mean(axis=1, keepdims=True) + 0.5 * (y - y.mean(axis=1, keepdims=True))
    total = spread.pit_counts(x, narrow, target, np.random.default_rng(0)).sum(axis=0)
    assert spread.coverage(total, 0.5) < 0.33 and spread.coverage(total, 0.9) < 0.7
    assert total[0] > 2 * total[spread.PIT_BINS // 2] and total[-1] > 2 * total[spread.PIT_BINS // 2]
    sd = spread.spreads(x, narrow, target)
    assert abs(sd["spread_pred_other"].sum() / sd["spread_true_other"].sum() - 0.5) < 0.03


def test_pit_ties_are_randomised():
    """A truth equal to every predicted value (a knockout's zeros) gets a uniform PIT, not 0 or 1."""
    x, y = np.zeros((500, 10, 2)), np.zeros((500, 10, 2))
    u = spread.pit_values(x[:, :1], y, np.random.default_rng(0))[:, 0, 1]  # one per pair: independent
    assert stats.chisquare(np.histogram(u, spread.PIT_BINS, (0, 1))[0]).pvalue > 0.01


def test_coverage_needs_levels_on_bin_edges():
    with pytest.raises(ValueError, match=r"level 0.33: the central interval's edges must fall on the 20 PIT bins"):
        spread.coverage(np.ones(spread.PIT_BINS), 0.33)


def test_fitted_scale_recovers_a_known_spread_error():
    """Predictions with the right centres and half the right deviations on the other variables (the target's
    right) get the other variables' scale fitted near 2 (the energy score's minimum for a Gaussian truth); the
    target's stays 1."""
    rng = np.random.default_rng(3)
    P, n, d = 600, 30, 3
    x = rng.normal(size=(P, n, d))
    target = rng.integers(0, d, P)
    half = np.where(np.arange(d)[None, :] == target[:, None], 1.0, 0.5)[:, None, :]
    centres, deviations = np.zeros((P, n, d)), half * rng.normal(size=(P, n, d))
    s_target, s_other = selection.fit_scale(x, centres, deviations, target)
    assert abs(s_other - 2.0) < 0.1 and s_target == 1.0


def test_the_rule_takes_the_lowest_of_the_candidates_significantly_below_the_default():
    frame = pd.DataFrame({"energy_score": [1.0, 0.98, 0.95, 0.97], "p_vs_default": [np.nan, 0.01, 0.2, 0.001]})
    assert selection.choose(frame, 0.05) == 3  # the lowest (row 2) is not significant; of rows 1 and 3, row 3
    frame.loc[2, "p_vs_default"] = 0.04
    assert selection.choose(frame, 0.05) == 2
    frame["p_vs_default"] = [np.nan, 0.3, 0.2, 0.06]  # none significant: the default stays
    assert selection.choose(frame, 0.05) == 0
    frame["p_vs_default"] = [np.nan, 0.01, 0.01, 0.01]
    frame.loc[0, "energy_score"] = 0.9  # the default is lowest
    assert selection.choose(frame, 0.05) == 0


def test_heldout_nll_is_the_predicted_mixtures_density_at_the_true_samples():
    """density.pair_nll: -log p per sample of each query's true samples under the mixture the model predicts for
    it (same key: the same latents and masks), checked against scipy on a tiny random model, with dropout in the
    decoder and a scale; ``pair_nlls`` of several scales at once agrees."""
    import jax
    import jax.numpy as jnp
    from scipy.stats import multivariate_normal

    from activa.data.format import Samples
    from activa.eval.density import pair_nll, pair_nlls
    from activa.model.inference import InferenceSetting, predict_batch, split_queries
    from activa.model.train import init_params
    from activa.model.v2 import ACTIVA, ModelConfig

    model = ACTIVA(ModelConfig(n_values=1, heads=2, K=1, e=8, h=8, c=2, k=2, L=2, latent=2, dropout=0.2))
    params = init_params(model, jax.random.key(0), 3, 6)
    rng = np.random.default_rng(0)
    truth = Samples(rng.normal(size=(2, 4, 6, 3)).astype(np.float32), np.array([-1, 0, 1, 2], np.int16),
                    np.array([-1, 0, 0, 0], np.int16), np.array([np.nan, 1, 1, 1], np.float32),
                    np.arange(2, dtype=np.int32), np.arange(4, dtype=np.int16))
    setting = InferenceSetting("decoder", 1.0, 1.7)
    nll = pair_nll(params, model, truth, setting=setting, n_latents=3, seed=5, batch_size=4)
    obs, target, value_index = split_queries(truth)
    _, (w, m, c) = predict_batch(params, model, jnp.asarray(obs[:4]), jnp.asarray(target[:4]),
                                 jnp.asarray(value_index[:4]), jax.random.fold_in(jax.random.key(5), 0), 3, 1,
                                 mixture=True, dropout="decoder", scale=setting.scale())
    x = truth.samples[:, 1:].reshape(6, 6, 3)
    for q in range(4):
        density = sum(float(w[q, j]) * multivariate_normal(np.asarray(m[q, j], np.float64),
                                                           np.asarray(c[q, j], np.float64)).pdf(x[q])
                      for j in range(w.shape[1]))
        assert nll[q] == pytest.approx(-np.log(density).mean(), rel=1e-4)
    # several scales on one prediction (select-inference's candidates) are each setting's pair_nll
    both = pair_nlls(params, model, truth, dropout="decoder", scales=[(1.0, 1.0), (1.0, 1.7)], n_latents=3, seed=5,
                     batch_size=4)
    unscaled = pair_nll(params, model, truth, setting=InferenceSetting("decoder"), n_latents=3, seed=5, batch_size=4)
    np.testing.assert_allclose(both, [unscaled, nll], rtol=1e-6)
