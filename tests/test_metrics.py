"""Vectorised two-sample metrics: independent references (brute force, POT, scipy, dcor), known facts,
input validation and chunking invariance."""

import itertools
import math

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import cdist

from activa.eval import metrics


@pytest.fixture(scope="module")
def dcor():
    """dcor, imported by the tests that compare with it: its numba functions compile when it is imported (8 s on
    two cores), which every xdist worker would otherwise pay while collecting the tests."""
    import dcor

    return dcor


@pytest.fixture(scope="module")
def ot():
    """POT, imported by the tests that compare with it (3 s), for the same reason."""
    import ot

    return ot


# (P, n, m, d): equal and unequal sample sizes, d in {1, 2, 8}
SHAPES = [(3, 10, 10, 1), (4, 12, 9, 2), (2, 15, 20, 8), (5, 30, 30, 8)]
MMD_CONVENTIONS = [
    dict(squared=sq, unbiased=ub, bandwidth=bw, kernel_scale=ks)
    for sq, ub, bw, ks in itertools.product((False, True), (False, True), ("median_pooled", "median_x"),
                                             ("2sigma2", "sigma2"))
]

# One spec per metric, as the pipeline's config builds them (activa.eval.scoring.conventions).
EXAMPLE_CONVENTIONS: dict[str, dict] = {
    "mmd": {"metric": "mmd", "squared": False, "unbiased": False, "bandwidth": "median_pooled", "kernel_scale": "2sigma2"},
    "wsd": {"metric": "wasserstein", "p": 1},
    "erg": {"metric": "energy", "form": "scaled", "unbiased": False},
    "p_value": {"metric": "energy_test", "n_permutations": 100, "plus_one": False},
}


def pairs(shape, seed=0, shift=0.0):
    P, n, m, d = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((P, n, d))
    y = rng.standard_normal((P, m, d)) * 1.3 + shift
    return x, y


# ----------------------------------------------------------------------------------------------
# independent references


def brute_mmd(x, y, squared, unbiased, bandwidth, kernel_scale):
    """MMD of one pair by plain double loops."""
    n, m = len(x), len(y)
    z = list(x) + list(y)
    pool = z if bandwidth == "median_pooled" else list(x)
    dists = [math.dist(pool[i], pool[j]) for i in range(len(pool)) for j in range(i + 1, len(pool))]
    sigma = float(np.median(dists)) or 1.0
    denom = 2 * sigma**2 if kernel_scale == "2sigma2" else sigma**2

    def k(a, b):
        return math.exp(-math.dist(a, b) ** 2 / denom)

    kxx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if not (unbiased and i == j))
    kyy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if not (unbiased and i == j))
    kxy = sum(k(x[i], y[j]) for i in range(n) for j in range(m))
    if unbiased:
        mmd2 = kxx / (n * (n - 1)) + kyy / (m * (m - 1)) - 2 * kxy / (n * m)
    else:
        mmd2 = kxx / n**2 + kyy / m**2 - 2 * kxy / (n * m)
    return mmd2 if squared else math.sqrt(max(mmd2, 0.0))


@pytest.mark.parametrize("shape", SHAPES)
def test_pooled_distances_match_cdist(shape):
    x, y = pairs(shape)
    D = metrics.pooled_distances(x, y)
    assert D.shape == (shape[0], shape[1] + shape[2], shape[1] + shape[2])
    for p in range(shape[0]):
        z = np.concatenate([x[p], y[p]])
        np.testing.assert_allclose(D[p], cdist(z, z), rtol=1e-10, atol=1e-12)
    assert (np.diagonal(D, axis1=1, axis2=2) == 0).all()
    np.testing.assert_array_equal(D, D.transpose(0, 2, 1))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("conv", MMD_CONVENTIONS, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_mmd_matches_brute_force(shape, conv):
    x, y = pairs(shape, seed=1, shift=0.4)
    got = metrics.mmd(x, y, **conv)
    want = [brute_mmd(x[p], y[p], **conv) for p in range(shape[0])]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("p", [1, 2])
def test_wasserstein_matches_pot(shape, p, ot):
    x, y = pairs(shape, seed=2, shift=0.5)
    got = metrics.wasserstein(x, y, p=p)
    n, m = shape[1], shape[2]
    want = []
    for k in range(shape[0]):
        cost = ot.dist(x[k], y[k], metric="euclidean") ** p
        want.append(ot.emd2(np.full(n, 1 / n), np.full(m, 1 / m), cost) ** (1 / p))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("n,m", [(25, 25), (17, 26)])
def test_w1_in_one_dimension_matches_scipy(n, m):
    x, y = pairs((6, n, m, 1), seed=3, shift=0.2)
    got = metrics.wasserstein(x, y, p=1)
    want = [stats.wasserstein_distance(x[k, :, 0], y[k, :, 0]) for k in range(6)]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("unbiased", [False, True])
def test_energy_distance_matches_dcor(shape, unbiased, dcor):
    x, y = pairs(shape, seed=4, shift=0.3)
    est = "U" if unbiased else "V"
    szekely = np.array([dcor.energy_distance(x[k], y[k], estimation_stat=est) for k in range(shape[0])])
    np.testing.assert_allclose(metrics.energy_distance(x, y, form="szekely", unbiased=unbiased), szekely,
                               rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(metrics.energy_distance(x, y, form="half", unbiased=unbiased), szekely / 2,
                               rtol=1e-10, atol=1e-13)
    scaled = [dcor.homogeneity.energy_test(x[k], y[k], estimation_stat=est).statistic for k in range(shape[0])]
    np.testing.assert_allclose(metrics.energy_distance(x, y, form="scaled", unbiased=unbiased), scaled,
                               rtol=1e-10, atol=1e-13)


def test_pvalues_agree_with_dcor_under_shift_and_null(dcor):
    rng = np.random.default_rng(5)
    P, n, m = 40, 30, 25
    x = rng.standard_normal((P, n, 2))
    # first half: large shift; second half: the null
    y = rng.standard_normal((P, m, 2)) + np.where(np.arange(P) < P // 2, 1.5, 0.0)[:, None, None]
    ours = metrics.energy_test_pvalue(x, y, n_permutations=100, seed=0, plus_one=True)
    ref = np.array([dcor.homogeneity.energy_test(x[k], y[k], num_resamples=100, random_state=k).pvalue
                    for k in range(P)])
    shifted, null = slice(0, P // 2), slice(P // 2, P)
    assert (ours[shifted] <= 2 / 101).all() and (ref[shifted] <= 2 / 101).all()
    for p in (ours[null], ref[null]):
        assert 0.25 < p.mean() < 0.75 and p.std() > 0.15
    # same data, different permutations: the p-values should track each other closely
    assert np.abs(ours - ref).mean() < 0.06
    assert np.corrcoef(ours[null], ref[null])[0, 1] > 0.9


def test_pvalues_agree_with_dcor_for_a_moderate_shift(dcor):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((40, 30, 2))
    y = rng.standard_normal((40, 30, 2)) + 0.35
    ours = metrics.energy_test_pvalue(x, y, n_permutations=100, seed=1, plus_one=True)
    ref = np.array([dcor.homogeneity.energy_test(x[k], y[k], num_resamples=100, random_state=k).pvalue
                    for k in range(40)])
    assert np.corrcoef(ours, ref)[0, 1] > 0.95
    assert np.abs(ours - ref).mean() < 0.06


# ----------------------------------------------------------------------------------------------
# known facts


ALL_CONVENTIONS = {
    **{f"mmd{i}": {"metric": "mmd", **c} for i, c in enumerate(MMD_CONVENTIONS)},
    "w1": {"metric": "wasserstein", "p": 1},
    "w2": {"metric": "wasserstein", "p": 2},
    "w3": {"metric": "wasserstein", "p": 3},
    **{f"e_{f}_{u}": {"metric": "energy", "form": f, "unbiased": u}
       for f, u in itertools.product(("szekely", "half", "scaled"), (False, True))},
    "p": {"metric": "energy_test", "n_permutations": 50},
    "p1": {"metric": "energy_test", "n_permutations": 30, "plus_one": True},
}


@pytest.mark.parametrize("d", [1, 2, 8])
def test_identical_samples_give_exactly_zero(d):
    x = np.random.default_rng(7).standard_normal((6, 20, d))
    got = metrics.score_pairs(x, x.copy(), conventions=ALL_CONVENTIONS, progress=False)
    for i, c in enumerate(MMD_CONVENTIONS):
        if not c["unbiased"]:
            assert (got[f"mmd{i}"] == 0).all()
    for name in ("w1", "w2", "w3", "e_szekely_False", "e_half_False", "e_scaled_False"):
        assert (got[name] == 0).all(), name
    # the U-statistic is off by O(1/n) only: 2 S/n^2 - 2 S/(n(n-1)) = -2 mean(Dxx) / (n - 1)
    mean_dxx = np.array([cdist(a, a).mean() for a in x])
    np.testing.assert_allclose(got["e_szekely_True"], -2 * mean_dxx / 19, rtol=1e-12)
    assert (got["p"] == 1).all() and (got["p1"] == 1).all()


def test_distances_grow_with_the_mean_shift():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((20, 30, 8))
    fresh = rng.standard_normal((20, 30, 8))
    direction = np.ones(8) / np.sqrt(8)
    conv = {k: v for k, v in ALL_CONVENTIONS.items() if v["metric"] != "energy_test"}
    shifts = [0.0, 0.5, 1.0, 2.0, 4.0]
    # the same sample, translated: every pair on its own
    same = [metrics.score_pairs(x, x + s * direction, conventions=conv, progress=False) for s in shifts]
    # a fresh sample from the same law, translated: on average over the pairs
    other = [metrics.score_pairs(x, fresh + s * direction, conventions=conv, progress=False) for s in shifts]
    for name in conv:
        step = np.diff(np.stack([r[name] for r in same]), axis=0)
        if name.startswith("mmd") and not conv[name]["squared"] and conv[name]["unbiased"]:
            # sqrt(max(MMD_u^2, 0)) is clipped to 0 while the unbiased MMD^2 is still negative
            assert (step >= 0).all() and (step[2:] > 0).all(), name
        else:
            assert (step > 0).all(), name
        means = np.array([r[name].mean() for r in other])
        assert (np.diff(means) > 0).all(), name
    # translations: W_p equals the shift exactly
    for p in ("w1", "w2", "w3"):
        np.testing.assert_allclose(np.stack([r[p] for r in same]),
                                   np.broadcast_to(np.array(shifts)[:, None], (5, 20)), atol=1e-9)


def test_null_pvalues_are_uniform():
    rng = np.random.default_rng(9)
    P, B = 500, 100
    x = rng.standard_normal((P, 30, 2))
    y = rng.standard_normal((P, 30, 2))
    p = metrics.energy_test_pvalue(x, y, n_permutations=B, seed=11)
    assert 0.45 < p.mean() < 0.55
    k = np.rint(p * B)  # exceedance counts, discrete uniform on {0, ..., B} under the null
    np.testing.assert_allclose(k, p * B, atol=1e-9)
    u = (k + rng.random(P)) / (B + 1)  # randomised to a continuous uniform
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_pvalues_under_a_large_shift_are_zero():
    x, y = pairs((50, 30, 30, 8), seed=10, shift=2.0)
    assert (metrics.energy_test_pvalue(x, y, seed=0) == 0).all()
    np.testing.assert_array_equal(metrics.energy_test_pvalue(x, y, seed=0, plus_one=True), 1 / 101)


def test_pvalues_are_deterministic_given_the_seed():
    x, y = pairs((100, 20, 20, 2), seed=12)
    a = metrics.energy_test_pvalue(x, y, seed=3)
    np.testing.assert_array_equal(a, metrics.energy_test_pvalue(x, y, seed=3))
    assert not np.array_equal(a, metrics.energy_test_pvalue(x, y, seed=4))


def test_unbiased_mmd2_can_be_negative_biased_cannot():
    x, y = pairs((200, 30, 30, 2), seed=13)
    y /= 1.3  # the null
    biased = metrics.mmd(x, y, squared=True, unbiased=False)
    unbiased = metrics.mmd(x, y, squared=True, unbiased=True)
    assert (biased >= 0).all()
    assert (unbiased < 0).any()
    assert (unbiased < biased).all()
    assert (metrics.mmd(x, y, squared=False, unbiased=True) >= 0).all()


def test_degenerate_bandwidth_gives_no_nan():
    x = np.full((2, 10, 3), 2.5)
    y = np.stack([np.full((10, 3), 2.5), np.full((10, 3), -1.0)])
    for conv in MMD_CONVENTIONS:
        got = metrics.mmd(x, y, **conv)
        assert np.isfinite(got).all(), conv
        if not conv["unbiased"]:
            assert got[0] == 0
        assert got[1] > 0
    # median_x is 0 here, so sigma = 1: exp(-3.5^2 * 3 / 2) between the groups
    got = metrics.mmd(x, y, squared=True, unbiased=False, bandwidth="median_x")
    assert got[1] == pytest.approx(2 - 2 * math.exp(-(3.5**2) * 3 / 2), rel=1e-12)


# ----------------------------------------------------------------------------------------------
# input validation


def test_shape_errors():
    x = np.zeros((4, 5, 2))
    with pytest.raises(ValueError, match=r"^x must be a 3-D array of shape \[P, n, d\]; got shape \(5, 2\)$"):
        metrics.wasserstein(x[0], x)
    with pytest.raises(ValueError, match=r"^y must be a 3-D array of shape \[P, m, d\]; got shape \(4, 5, 2, 1\)$"):
        metrics.mmd(x, x[..., None], squared=True, unbiased=False)
    with pytest.raises(ValueError, match=r"^y must have shape \[P, m, d\] = \[4, m, 2\] to match x of shape "
                                         r"\(4, 5, 2\); got y of shape \(3, 5, 2\)$"):
        metrics.energy_distance(x, x[:3])
    with pytest.raises(ValueError, match=r"got y of shape \(4, 6, 3\)$"):
        metrics.pooled_distances(x, np.zeros((4, 6, 3)))
    with pytest.raises(ValueError, match="at least one sample"):
        metrics.energy_test_pvalue(x, x[:, :0], seed=0)


def test_nan_and_inf_errors_name_the_argument_and_pair():
    x = np.zeros((5, 4, 2))
    y = np.zeros((5, 4, 2))
    y[3, 1, 0] = np.nan
    y[4, 0, 1] = np.inf
    with pytest.raises(ValueError, match=r"^y contains NaN or inf \(first bad pair index 3\)$"):
        metrics.score_pairs(x, y, conventions=EXAMPLE_CONVENTIONS, progress=False)
    x[2, 0, 0] = -np.inf
    with pytest.raises(ValueError, match=r"^x contains NaN or inf \(first bad pair index 2\)$"):
        metrics.energy_distance(x, y)


def test_convention_errors_name_the_bad_key():
    x, y = pairs((2, 5, 5, 2))
    with pytest.raises(ValueError, match=r"conventions\['w'\]: unknown key 'q' for metric 'wasserstein'"):
        metrics.score_pairs(x, y, conventions={"w": {"metric": "wasserstein", "q": 1}}, progress=False)
    with pytest.raises(ValueError, match=r"conventions\['k'\]: unknown metric 'ks' in key 'metric'"):
        metrics.score_pairs(x, y, conventions={"k": {"metric": "ks"}}, progress=False)
    with pytest.raises(ValueError, match=r"conventions\['k'\]: missing key 'metric'"):
        metrics.score_pairs(x, y, conventions={"k": {"p": 1}}, progress=False)
    with pytest.raises(ValueError, match=r"conventions\['value'\]: 'bandwidth' must be one of median_pooled, "
                                         r"median_x; got 'silverman'"):
        metrics.mmd(x, y, squared=True, unbiased=False, bandwidth="silverman")
    with pytest.raises(ValueError, match=r"'form' must be one of szekely, half, scaled; got 'paper'"):
        metrics.energy_distance(x, y, form="paper")
    with pytest.raises(ValueError, match=r"'p' must be a finite number >= 1; got 0"):
        metrics.wasserstein(x, y, p=0)
    with pytest.raises(ValueError, match=r"'n_permutations' must be a positive integer; got 0"):
        metrics.energy_test_pvalue(x, y, n_permutations=0, seed=0)
    with pytest.raises(ValueError, match=r"unbiased estimate needs n >= 2 and m >= 2 samples; got n=5, m=1"):
        metrics.energy_distance(x, y[:, :1], unbiased=True)


# ----------------------------------------------------------------------------------------------
# score_pairs


@pytest.mark.parametrize("n,m", [(12, 12), (10, 7)])
def test_chunking_invariance(n, m):
    x, y = pairs((45, n, m, 3), seed=14, shift=0.2)
    small = metrics.score_pairs(x, y, conventions=ALL_CONVENTIONS, seed=5, chunk_size=7, progress=False)
    large = metrics.score_pairs(x, y, conventions=ALL_CONVENTIONS, seed=5, chunk_size=1000, progress=False)
    assert list(small) == list(ALL_CONVENTIONS)
    for name in ALL_CONVENTIONS:
        assert small[name].shape == (45,)
        np.testing.assert_array_equal(small[name], large[name], err_msg=name)


def test_single_metric_functions_agree_with_score_pairs():
    x, y = pairs((30, 15, 15, 2), seed=15, shift=0.3)
    got = metrics.score_pairs(x, y, conventions=EXAMPLE_CONVENTIONS, seed=2, progress=False)
    spec = {k: v for k, v in EXAMPLE_CONVENTIONS["mmd"].items() if k != "metric"}
    np.testing.assert_array_equal(got["mmd"], metrics.mmd(x, y, **spec))
    np.testing.assert_array_equal(got["wsd"], metrics.wasserstein(x, y, p=1))
    np.testing.assert_array_equal(got["erg"], metrics.energy_distance(x, y, form="scaled"))
    np.testing.assert_array_equal(got["p_value"], metrics.energy_test_pvalue(x, y, seed=2))
    # the default n_permutations of score_pairs applies to specs without their own
    short = metrics.score_pairs(x, y, conventions={"p": {"metric": "energy_test"}}, n_permutations=20, seed=2,
                                progress=False)["p"]
    np.testing.assert_array_equal(short, metrics.energy_test_pvalue(x, y, n_permutations=20, seed=2))


def test_empty_input_and_progress_bar(capsys):
    x, y = pairs((0, 5, 5, 2))
    assert metrics.score_pairs(x, y, conventions=EXAMPLE_CONVENTIONS, progress=False)["mmd"].shape == (0,)
    x, y = pairs((10, 5, 5, 2))
    metrics.score_pairs(x, y, conventions=EXAMPLE_CONVENTIONS, chunk_size=4, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "10/10" in captured.err and "pair" in captured.err
