"""Vectorised two-sample distances between many pairs of empirical samples at once.

Shapes and units
----------------
Every public function takes ``x`` of shape ``[P, n, d]`` (ground truth: P pairs, n samples, d variables)
and ``y`` of shape ``[P, m, d]`` (predictions), and returns one value per pair, an array of shape ``[P]``
(``pooled_distances`` returns ``[P, n+m, n+m]``). Inputs are converted to float64 and all arithmetic is
float64. Distances are plain Euclidean distances in the units of the data (no standardisation), so
Wasserstein and energy distances are in data units; MMD is unitless (kernel values lie in [0, 1], so
MMD^2 <= 2); p-values lie in [0, 1]. Pairs are processed in chunks (``chunk_size`` pairs, lowered further
when n+m is large so that one chunk's temporaries stay within ~0.75 GiB); within a chunk the pooled
distance matrix is computed once and shared by all metrics.

Notation: for one pair, D is the (n+m) x (n+m) Euclidean distance matrix of the pooled sample
``z = concat(x, y)`` (x first), ``Dxx = D[:n, :n]``, ``Dyy = D[n:, n:]``, ``Dxy = D[:n, n:]``.

Conventions
-----------
``pooled_distances``
    ``D_ij = sqrt(max(|z_i|^2 + |z_j|^2 - 2 <z_i, z_j>, 0))`` with the diagonal set to exactly 0. The Gram
    matrix is computed with a non-BLAS ``einsum`` so every entry is summed over the d variables in the same
    order: identical points therefore get distance exactly 0 and D is exactly symmetric.

``mmd(squared, unbiased, bandwidth, kernel_scale)`` -- Gretton et al., "A kernel two-sample test",
JMLR 2012 (eqs. 3 and 5 there), Gaussian RBF kernel with the median heuristic.
    kernel_scale "2sigma2": ``k(a, b) = exp(-|a-b|^2 / (2 sigma^2))``;
    kernel_scale "sigma2":  ``k(a, b) = exp(-|a-b|^2 / sigma^2)``.
    bandwidth "median_pooled": sigma = median of the (n+m choose 2) distances ``D_ij, i < j``;
    bandwidth "median_x": sigma = median of the (n choose 2) distances among x only.
    sigma = 1 when the median is 0 (degenerate samples).
    biased (V-statistic): ``MMD^2 = sum(Kxx)/n^2 + sum(Kyy)/m^2 - 2 sum(Kxy)/(n m)`` (diagonals included);
    unbiased (U-statistic): ``MMD^2 = sum_{i!=j}(Kxx)/(n(n-1)) + sum_{i!=j}(Kyy)/(m(m-1)) - 2 sum(Kxy)/(n m)``,
    which can be negative. squared=False returns ``sqrt(max(MMD^2, 0))``.
    Tested against a brute-force double loop.

``wasserstein(p)`` -- exact optimal transport between the uniform empirical measures (weights 1/n and 1/m)
with ground cost ``|a-b|^p``; returns ``(min cost)^(1/p)``, i.e. W_p (p=2 gives W2, not W2^2).
    n == m: the optimal plan is a permutation (Birkhoff), solved by ``scipy.optimize.linear_sum_assignment``;
    n != m: the transport LP solved exactly by ``scipy.optimize.linprog(method="highs")`` (slow, per pair).
    Matches POT ``ot.emd2(a, b, M)`` (uniform a, b; M = ot.dist(x, y, "euclidean") ** p), and for d = 1,
    p = 1 ``scipy.stats.wasserstein_distance``.

``energy_distance(form, unbiased)`` -- Székely & Rizzo, "Energy statistics", J. Stat. Plan. Inference 2013.
    With ``A = mean(Dxy)``, ``Bx`` and ``By`` the means of Dxx and Dyy:
    unbiased=False (V-statistic): ``Bx = sum(Dxx)/n^2`` (zero diagonal included), ``By = sum(Dyy)/m^2``;
    unbiased=True (U-statistic): ``Bx = sum(Dxx)/(n(n-1))``, ``By = sum(Dyy)/(m(m-1))``.
    form "szekely": ``2A - Bx - By`` (= ``dcor.energy_distance``, with estimation_stat "V" or "U");
    form "half":    ``A - Bx/2 - By/2`` (the formula printed in the paper; = szekely / 2);
    form "scaled":  ``n m / (n+m) * (2A - Bx - By)`` (= ``dcor.homogeneity.energy_test(x, y).statistic``).

``energy_test_pvalue(n_permutations, seed, plus_one)`` -- permutation test of equal distributions with the
    statistic ``E = n m / (n+m) * (2A - Bx - By)`` (V-statistic; the factor is constant across relabellings
    of a pair, so the p-value equals that of the plain Székely statistic). ``n_permutations`` relabellings
    of the n+m pooled points into groups of sizes n and m are drawn from
    ``numpy.random.Generator(PCG64(seed))`` (``rng.permutation(n+m)`` each, the first n positions form the
    x group) and shared by all pairs (each pair's test is still valid; the p-values do not depend on
    chunking). With ``k = #{b : E_b >= E_obs - tol}``:
    plus_one=False: ``p = k / n_permutations`` (can be 0; needed for published means below 1/101);
    plus_one=True:  ``p = (1 + k) / (1 + n_permutations)`` (the convention of
    ``dcor.homogeneity.energy_test``, which however counts only strict exceedances ``E_b > E_obs``).
    ``tol = 1e-10 * (|E_obs| + n m / (n+m) * mean(D))`` is far below any genuine difference but above
    floating-point rounding, so relabellings with mathematically equal statistics count as ties.

``energy_score()`` -- the energy score of the prediction y as a forecast of the truth's samples (Gneiting &
    Raftery, JASA 2007, eq. 22, a strictly proper scoring rule for distributions on R^d), averaged over the
    n truth samples: ``A - sum_{i!=j}(Dyy)/(2 m (m-1))`` (the "fair" ensemble form, Ferro 2014, whose
    expectation is the score of the distribution the m predicted samples are drawn from). Lower is better; in
    data units. ``2 * energy_score = energy_distance(unbiased=True) + By`` with By a property of the truth alone,
    so for one truth it ranks predictions as the unbiased energy distance does. Needs m >= 2.

``score_pairs(conventions=...)`` computes any set of named metrics in one pass; the pipeline builds its
specs from the config's ``metrics`` section (``activa.eval.scoring.conventions``). The single-metric functions above are thin wrappers around it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping

import numpy as np
from scipy import optimize, sparse

__all__ = [
    "pooled_distances",
    "mmd",
    "wasserstein",
    "energy_distance",
    "energy_test_pvalue",
    "energy_score",
    "score_pairs",
]

_BANDWIDTHS = ("median_pooled", "median_x")
_KERNEL_SCALES = {"2sigma2": 2.0, "sigma2": 1.0}
_ENERGY_FORMS = ("szekely", "half", "scaled")

# Per metric: the allowed spec keys and their defaults (None = filled in by score_pairs).
_SPEC_DEFAULTS: dict[str, dict] = {
    "mmd": {"squared": False, "unbiased": False, "bandwidth": "median_pooled", "kernel_scale": "2sigma2"},
    "wasserstein": {"p": 1},
    "energy": {"form": "szekely", "unbiased": False},
    "energy_test": {"n_permutations": None, "plus_one": False},
    "energy_score": {},
}

_DEFAULT_CHUNK = 2000
_CHUNK_BYTES = 768 * 2**20  # soft cap on one chunk's temporaries
_TIE_RTOL = 1e-10


# --------------------------------------------------------------------------------------------------
# validation


def _check_pair_arrays(x, y) -> tuple[np.ndarray, np.ndarray]:
    """float64 copies of x [P, n, d] and y [P, m, d], or ValueError naming what is wrong."""
    arrays = []
    for name, a, expected in (("x", x, "[P, n, d]"), ("y", y, "[P, m, d]")):
        try:
            a = np.asarray(a, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be a numeric array of shape {expected}: {exc}") from None
        if a.ndim != 3:
            raise ValueError(f"{name} must be a 3-D array of shape {expected}; got shape {a.shape}")
        arrays.append(a)
    x, y = arrays
    if y.shape[0] != x.shape[0] or y.shape[2] != x.shape[2]:
        raise ValueError(
            f"y must have shape [P, m, d] = [{x.shape[0]}, m, {x.shape[2]}] to match x of shape {x.shape}; "
            f"got y of shape {y.shape}"
        )
    if x.shape[1] < 1 or y.shape[1] < 1:
        raise ValueError(f"x and y need at least one sample per pair; got x shape {x.shape} and y shape {y.shape}")
    if x.shape[2] < 1:
        raise ValueError(f"x and y need at least one variable (d >= 1); got x shape {x.shape}")
    for name, a in (("x", x), ("y", y)):
        bad = ~np.isfinite(a).all(axis=(1, 2))
        if bad.any():
            raise ValueError(f"{name} contains NaN or inf (first bad pair index {int(np.argmax(bad))})")
    return x, y


def _check_bool(where: str, key: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{where}: '{key}' must be true or false; got {value!r}")
    return bool(value)


def _check_choice(where: str, key: str, value, choices) -> str:
    if value not in choices:
        raise ValueError(f"{where}: '{key}' must be one of {', '.join(choices)}; got {value!r}")
    return value


def _normalise_spec(name, spec, n_permutations: int) -> dict:
    """Validated copy of one convention spec with defaults filled in."""
    where = f"conventions[{name!r}]"
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: a spec must be a mapping with a 'metric' key; got {type(spec).__name__}")
    if "metric" not in spec:
        raise ValueError(f"{where}: missing key 'metric' (one of {', '.join(_SPEC_DEFAULTS)})")
    metric = spec["metric"]
    if metric not in _SPEC_DEFAULTS:
        raise ValueError(f"{where}: unknown metric {metric!r} in key 'metric' (expected one of {', '.join(_SPEC_DEFAULTS)})")
    allowed = _SPEC_DEFAULTS[metric]
    for key in spec:
        if key != "metric" and key not in allowed:
            raise ValueError(f"{where}: unknown key {key!r} for metric {metric!r} (allowed: metric, {', '.join(allowed)})")
    out = {"metric": metric, **allowed, **{k: v for k, v in spec.items() if k != "metric"}}
    if metric == "mmd":
        out["squared"] = _check_bool(where, "squared", out["squared"])
        out["unbiased"] = _check_bool(where, "unbiased", out["unbiased"])
        _check_choice(where, "bandwidth", out["bandwidth"], _BANDWIDTHS)
        _check_choice(where, "kernel_scale", out["kernel_scale"], tuple(_KERNEL_SCALES))
    elif metric == "wasserstein":
        p = out["p"]
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)) \
                or not math.isfinite(p) or p < 1:
            raise ValueError(f"{where}: 'p' must be a finite number >= 1; got {p!r}")
        out["p"] = int(p) if float(p).is_integer() else float(p)
    elif metric == "energy":
        _check_choice(where, "form", out["form"], _ENERGY_FORMS)
        out["unbiased"] = _check_bool(where, "unbiased", out["unbiased"])
    elif metric == "energy_test":
        if out["n_permutations"] is None:
            out["n_permutations"] = n_permutations
        b = out["n_permutations"]
        if isinstance(b, (bool, np.bool_)) or not isinstance(b, (int, np.integer)) or b < 1:
            raise ValueError(f"{where}: 'n_permutations' must be a positive integer; got {b!r}")
        out["n_permutations"] = int(b)
        out["plus_one"] = _check_bool(where, "plus_one", out["plus_one"])
    return out


def _check_sizes(name: str, spec: dict, n: int, m: int) -> None:
    """Sample-size requirements of a spec (raised before any work is done)."""
    where = f"conventions[{name!r}]"
    if spec["metric"] in ("mmd", "energy") and spec["unbiased"] and (n < 2 or m < 2):
        raise ValueError(f"{where}: the unbiased estimate needs n >= 2 and m >= 2 samples; got n={n}, m={m}")
    if spec["metric"] == "energy_score" and m < 2:
        raise ValueError(f"{where}: the energy score needs m >= 2 predicted samples; got m={m}")
    if spec["metric"] == "mmd" and spec["bandwidth"] == "median_x" and n < 2:
        raise ValueError(f"{where}: bandwidth 'median_x' needs n >= 2 samples in x; got n={n}")


# --------------------------------------------------------------------------------------------------
# chunk kernels: everything below works on one chunk of pairs, given its pooled distances


def _pooled_sq_distances(z: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances [c, N, N] among the rows of z [c, N, d]; exact zeros on the diagonal.

    Squared norms + inner products. ``np.einsum`` (no BLAS, optimize=False) sums every entry over d in the
    same order, so G[i, j] == G[i, i] bit for bit when z_i == z_j: identical points are exactly 0 apart and
    the result is exactly symmetric (a BLAS matmul does not guarantee either).
    """
    gram = np.einsum("pid,pjd->pij", z, z)
    sq = np.einsum("pii->pi", gram)
    d2 = sq[:, :, None] + sq[:, None, :]  # (|z_i|^2 + |z_j|^2) first: commutative, hence symmetric
    gram *= 2.0
    d2 -= gram
    np.maximum(d2, 0.0, out=d2)
    idx = np.arange(z.shape[1])
    d2[:, idx, idx] = 0.0
    return d2


class _Chunk:
    """Pooled distances of one chunk of pairs and the intermediate results shared between metrics."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.n, self.m = x.shape[1], y.shape[1]
        self.D2 = _pooled_sq_distances(np.concatenate([x, y], axis=1))
        self.D = np.sqrt(self.D2)
        self._cache: dict = {}

    def cached(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def block_sums(self, which: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sums over the xx, yy and xy blocks of D ('D') or D**2 ('D2'), each [c]."""
        def compute():
            M = self.D if which == "D" else self.D2
            n = self.n
            return M[:, :n, :n].sum(axis=(1, 2)), M[:, n:, n:].sum(axis=(1, 2)), M[:, :n, n:].sum(axis=(1, 2))
        return self.cached(("block_sums", which), compute)


def _median_bandwidth(chunk: _Chunk, bandwidth: str) -> np.ndarray:
    """Median heuristic sigma [c] (1 where the median distance is 0)."""
    def compute():
        k = chunk.n + chunk.m if bandwidth == "median_pooled" else chunk.n
        iu, ju = np.triu_indices(k, 1)
        sigma = np.median(chunk.D[:, iu, ju], axis=1)
        sigma[sigma == 0.0] = 1.0
        return sigma
    return chunk.cached(("sigma", bandwidth), compute)


def _kernel_sums(chunk: _Chunk, bandwidth: str, kernel_scale: str):
    """RBF kernel block sums (Kxx, Kyy, Kxy) and diagonal traces (tr Kxx, tr Kyy), each [c]."""
    def compute():
        sigma = _median_bandwidth(chunk, bandwidth)
        K = chunk.D2 * (-1.0 / (_KERNEL_SCALES[kernel_scale] * sigma**2))[:, None, None]
        np.exp(K, out=K)
        n = chunk.n
        kxx, kyy, kxy = K[:, :n, :n], K[:, n:, n:], K[:, :n, n:]
        sums = kxx.sum(axis=(1, 2)), kyy.sum(axis=(1, 2)), kxy.sum(axis=(1, 2))
        traces = np.trace(kxx, axis1=1, axis2=2), np.trace(kyy, axis1=1, axis2=2)
        return sums, traces
    return chunk.cached(("kernel", bandwidth, kernel_scale), compute)


def _mmd_kernel(chunk: _Chunk, *, squared: bool, unbiased: bool, bandwidth: str, kernel_scale: str) -> np.ndarray:
    (sxx, syy, sxy), (txx, tyy) = _kernel_sums(chunk, bandwidth, kernel_scale)
    n, m = chunk.n, chunk.m
    if unbiased:
        mmd2 = (sxx - txx) / (n * (n - 1)) + (syy - tyy) / (m * (m - 1)) - 2.0 * sxy / (n * m)
    else:
        mmd2 = sxx / n**2 + syy / m**2 - 2.0 * sxy / (n * m)
    return mmd2 if squared else np.sqrt(np.maximum(mmd2, 0.0))


def _transport_lp(cost: np.ndarray) -> float:
    """Exact OT cost between uniform measures on the rows and columns of cost [n, m] (HiGHS LP).

    Scaled so that row sums are m and column sums n (integer marginals, integral vertices); the last,
    redundant column constraint is dropped.
    """
    n, m = cost.shape
    rows = sparse.kron(sparse.eye(n), np.ones((1, m)))
    cols = sparse.kron(np.ones((1, n)), sparse.eye(m))
    a_eq = sparse.vstack([rows, cols.tocsr()[: m - 1]]).tocsc()
    b_eq = np.concatenate([np.full(n, float(m)), np.full(m - 1, float(n))])
    res = optimize.linprog(cost.ravel(), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(f"exact transport LP failed: {res.message}")
    return max(res.fun, 0.0) / (n * m)


def _wasserstein_kernel(chunk: _Chunk, *, p) -> np.ndarray:
    def compute():
        n, m = chunk.n, chunk.m
        if p == 1:
            cost = chunk.D[:, :n, n:]
        elif p == 2:
            cost = chunk.D2[:, :n, n:]
        else:
            cost = chunk.D[:, :n, n:] ** p
        out = np.empty(cost.shape[0])
        if n == m:
            for k in range(cost.shape[0]):
                r, c = optimize.linear_sum_assignment(cost[k])
                out[k] = cost[k][r, c].sum() / n
        else:
            for k in range(cost.shape[0]):
                out[k] = _transport_lp(np.ascontiguousarray(cost[k]))
        return out if p == 1 else out ** (1.0 / p)
    return chunk.cached(("wasserstein", p), compute)


def _energy_kernel(chunk: _Chunk, *, form: str, unbiased: bool) -> np.ndarray:
    sxx, syy, sxy = chunk.block_sums("D")
    n, m = chunk.n, chunk.m
    a = sxy / (n * m)
    if unbiased:
        bx, by = sxx / (n * (n - 1)), syy / (m * (m - 1))
    else:
        bx, by = sxx / n**2, syy / m**2
    e = 2.0 * a - bx - by
    if form == "half":
        return 0.5 * e
    if form == "scaled":
        return (n * m / (n + m)) * e
    return e


def _energy_score_kernel(chunk: _Chunk) -> np.ndarray:
    _, syy, sxy = chunk.block_sums("D")
    n, m = chunk.n, chunk.m
    return sxy / (n * m) - syy / (2.0 * m * (m - 1))


def _group_indicators(n: int, m: int, n_permutations: int, seed: int) -> np.ndarray:
    """0/1 matrix S [n+m, 1+n_permutations]: column 0 the observed labelling (x first), then one
    column per relabelling rng.permutation(n+m)[:n] with rng = Generator(PCG64(seed))."""
    rng = np.random.Generator(np.random.PCG64(seed))
    s = np.zeros((n + m, 1 + n_permutations))
    s[:n, 0] = 1.0
    for b in range(1, n_permutations + 1):
        s[rng.permutation(n + m)[:n], b] = 1.0
    return s


def _energy_test_kernel(chunk: _Chunk, *, s: np.ndarray, plus_one: bool) -> np.ndarray:
    """Permutation p-values [c] from the group indicators s (see _group_indicators)."""
    D, n, m = chunk.D, chunk.n, chunk.m
    c, N, _ = D.shape
    ds = (D.reshape(c * N, N) @ s).reshape(c, N, s.shape[1])      # row sums of D restricted to group x
    s_xx = np.einsum("pib,ib->pb", ds, s)                          # sum over x-group rows
    r = D.sum(axis=2)                                              # full row sums [c, N]
    s_xy = r @ s - s_xx
    total = r.sum(axis=1)[:, None]
    s_yy = total - s_xx - 2.0 * s_xy
    coef = n * m / (n + m)
    stats = coef * (2.0 * s_xy / (n * m) - s_xx / n**2 - s_yy / m**2)
    obs = stats[:, :1]
    tol = _TIE_RTOL * (np.abs(obs) + coef * total / N**2)
    k = (stats[:, 1:] >= obs - tol).sum(axis=1)
    b = s.shape[1] - 1
    return (1.0 + k) / (1.0 + b) if plus_one else k / b


# --------------------------------------------------------------------------------------------------
# public API


def score_pairs(x, y, *, conventions: Mapping[str, Mapping], n_permutations: int = 100, seed: int = 0,
                chunk_size: int = _DEFAULT_CHUNK, progress: bool = True) -> dict[str, np.ndarray]:
    """Several named metrics per pair in one pass over chunks of pairs.

    Args:
        x: ground truth [P, n, d]; y: predictions [P, m, d].
        conventions: name -> spec, a spec being {"metric": "mmd" | "wasserstein" | "energy" | "energy_test" |
            "energy_score",
            plus that metric's convention keys (mmd: squared, unbiased, bandwidth, kernel_scale;
            wasserstein: p; energy: form, unbiased; energy_test: n_permutations, plus_one; energy_score:
            none)}; missing keys take
            the defaults of the single-metric functions. See the module docstring.
        n_permutations: default for energy_test specs without their own 'n_permutations'.
        seed: seed of the permutations of every energy_test spec.
        chunk_size: pairs per chunk (lowered automatically when a chunk's temporaries would exceed ~0.75 GiB).
            Results do not depend on it.
        progress: show a tqdm progress bar over pairs on stderr.

    Returns:
        name -> float64 array [P], in the order of ``conventions``.
    """
    x, y = _check_pair_arrays(x, y)
    if not isinstance(conventions, Mapping):
        raise ValueError(f"conventions must be a mapping name -> spec; got {type(conventions).__name__}")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    if isinstance(chunk_size, (bool, np.bool_)) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer; got {chunk_size!r}")
    P, n, m = x.shape[0], x.shape[1], y.shape[1]
    specs = {name: _normalise_spec(name, spec, n_permutations) for name, spec in conventions.items()}
    for name, spec in specs.items():
        _check_sizes(name, spec, n, m)

    indicators = {b: _group_indicators(n, m, b, int(seed))
                  for b in sorted({s["n_permutations"] for s in specs.values() if s["metric"] == "energy_test"})}
    N = n + m
    widest = max(indicators, default=0) + 1
    per_pair = 8 * (5 * N * N + 2 * N * widest + N * (N - 1) // 2 + N * x.shape[2])
    step = int(max(1, min(chunk_size, _CHUNK_BYTES // per_pair)))

    out = {name: np.empty(P) for name in specs}
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=P, unit="pair", desc="score_pairs", file=sys.stderr, smoothing=0.1)
    try:
        for start in range(0, P, step):
            stop = min(P, start + step)
            chunk = _Chunk(x[start:stop], y[start:stop])
            for name, spec in specs.items():
                kind = spec["metric"]
                if kind == "mmd":
                    value = _mmd_kernel(chunk, squared=spec["squared"], unbiased=spec["unbiased"],
                                        bandwidth=spec["bandwidth"], kernel_scale=spec["kernel_scale"])
                elif kind == "wasserstein":
                    value = _wasserstein_kernel(chunk, p=spec["p"])
                elif kind == "energy":
                    value = _energy_kernel(chunk, form=spec["form"], unbiased=spec["unbiased"])
                elif kind == "energy_score":
                    value = _energy_score_kernel(chunk)
                else:
                    value = _energy_test_kernel(chunk, s=indicators[spec["n_permutations"]], plus_one=spec["plus_one"])
                out[name][start:stop] = value
            del chunk
            if bar is not None:
                bar.update(stop - start)
    finally:
        if bar is not None:
            bar.close()
    return out


def _single(x, y, spec: dict, seed: int = 0) -> np.ndarray:
    """One metric through the same chunked path as score_pairs."""
    return score_pairs(x, y, conventions={"value": spec}, seed=seed, progress=False)["value"]


def pooled_distances(x, y) -> np.ndarray:
    """Euclidean distances [P, n+m, n+m] among the pooled samples concat(x, y) of each pair (x first).

    Computed from squared norms and inner products, tiny negatives clipped to 0 before the square root,
    diagonal exactly 0 (see the module docstring).
    """
    x, y = _check_pair_arrays(x, y)
    P, N = x.shape[0], x.shape[1] + y.shape[1]
    out = np.empty((P, N, N))
    step = max(1, min(_DEFAULT_CHUNK, _CHUNK_BYTES // (8 * 3 * N * N)))
    for start in range(0, P, step):
        stop = min(P, start + step)
        out[start:stop] = _Chunk(x[start:stop], y[start:stop]).D
    return out


def mmd(x, y, *, squared: bool, unbiased: bool, bandwidth: str = "median_pooled",
        kernel_scale: str = "2sigma2") -> np.ndarray:
    """RBF-kernel MMD [P] with the median-heuristic bandwidth (MMD^2 when squared; see module docstring)."""
    return _single(x, y, {"metric": "mmd", "squared": squared, "unbiased": unbiased,
                          "bandwidth": bandwidth, "kernel_scale": kernel_scale})


def wasserstein(x, y, *, p: int = 1) -> np.ndarray:
    """Exact W_p [P] between the uniform empirical measures, ground cost |a-b|^p; returns (min cost)^(1/p)."""
    return _single(x, y, {"metric": "wasserstein", "p": p})


def energy_distance(x, y, *, form: str = "szekely", unbiased: bool = False) -> np.ndarray:
    """Energy distance [P]: form 'szekely' 2A-Bx-By, 'half' (2A-Bx-By)/2, 'scaled' nm/(n+m)(2A-Bx-By)."""
    return _single(x, y, {"metric": "energy", "form": form, "unbiased": unbiased})


def energy_score(x, y) -> np.ndarray:
    """Energy score [P] of the predicted samples y as a forecast of the truth's samples x (module docstring)."""
    return _single(x, y, {"metric": "energy_score"})


def energy_test_pvalue(x, y, *, n_permutations: int = 100, seed: int, plus_one: bool = False) -> np.ndarray:
    """Energy-statistic permutation-test p-values [P]; the same seeded relabellings are used for all pairs."""
    return _single(x, y, {"metric": "energy_test", "n_permutations": n_permutations, "plus_one": plus_one},
                   seed=seed)
