"""Scoring predictions against ground truth, one row per (SCM, interventional regime) pair.

The metric conventions come from the config's ``metrics`` section (pinned by the calibration report,
see docs/evaluation.md, "Metric conventions"). ``wsd.power`` reports W_p^p instead of W_p; ``wsd.mass: counts`` lets
every sample weigh 1 instead of 1/N, which multiplies the transport cost by N (the number of
ground-truth samples).

Metric files (``results/metrics/<method>/<family>.parquet``) have one row per pair with the columns of
``METRICS_SCHEMA`` and the ``activa`` key-value metadata (method, family, conventions, seed): the four metrics,
the effect columns, and the calibration readings of ``activa.eval.spread``: the energy score (proper), the
spreads of prediction and truth, the prediction's PIT histogram of the true values of the non-target variables.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from activa import __version__
from activa.data.format import META_KEY, DataError, Samples, TrueMeans, atomic_path
from activa.data.scm import seed_sequence
from activa.eval import metrics, spread

METRIC_COLUMNS = ("mmd", "wsd", "erg", "p_value")
# activa.eval.effects.pair_errors: per pair, the summed |predicted mean - true mean| over the target's
# descendants / non-descendants (the target itself excluded) and how many there are
EFFECT_COLUMNS = (("desc_err_sum", pa.float64()), ("desc_n", pa.int16()), ("nondesc_err_sum", pa.float64()),
                  ("nondesc_n", pa.int16()))
PIT_STREAM = 1  # the randomised PIT's stream: SeedSequence([the metrics seed, PIT_STREAM])
METRICS_SCHEMA = pa.schema([
    pa.field("scm", pa.int32(), nullable=False),
    pa.field("regime", pa.int16(), nullable=False),
    pa.field("target", pa.int16(), nullable=False),
    pa.field("value_index", pa.int16(), nullable=False),
    *[pa.field(c, pa.float64(), nullable=False) for c in METRIC_COLUMNS],
    *[pa.field(c, t, nullable=False) for c, t in EFFECT_COLUMNS],
    pa.field("energy_score", pa.float64(), nullable=False),
    *[pa.field(c, pa.float64(), nullable=True) for c in spread.SPREAD_COLUMNS],  # other: NaN when d = 1
    *[pa.field(c, pa.int32(), nullable=False) for c in spread.PIT_COLUMNS],
])


def conventions(metrics_config: dict) -> dict:
    """The ``score_pairs`` specs of the four reported metrics (W_p computed raw, see ``wsd_transform``)."""
    return {
        "mmd": {"metric": "mmd", **metrics_config["mmd"]},
        "wsd": {"metric": "wasserstein", "p": metrics_config["wsd"]["p"]},
        "erg": {"metric": "energy", **metrics_config["erg"]},
        "p_value": {"metric": "energy_test", **metrics_config["p_value"]},
        "energy_score": {"metric": "energy_score"},
    }


def metrics_seed(seed: int, family: str, method: str) -> int:
    """The permutation test's seed for one metrics file: from ``seed_sequence(seed, "metrics", family, method)``."""
    return int(seed_sequence(seed, "metrics", family, method).generate_state(1)[0])


def wsd_transform(w: np.ndarray, p: int, power: bool, mass: str, n_samples: int) -> np.ndarray:
    """Turn W_p into the configured report: W_p or W_p^p, times N when every sample weighs 1."""
    out = w**p if power else w
    return out * n_samples if mass == "counts" else out


def subset_rows(truth: Samples, pred: Samples, truth_name: str = "truth", pred_name: str = "predictions"):
    """Rows of ``truth`` that ``pred``'s SCMs are (None: all, in order); a subset only if its metadata says so."""
    if np.array_equal(truth.scm, pred.scm):
        return None
    rows = np.searchsorted(truth.scm, pred.scm)
    found = (rows < len(truth.scm)) & (truth.scm[np.minimum(rows, len(truth.scm) - 1)] == pred.scm)
    if not pred.meta.get("scm_subset") or not found.all() or len(np.unique(pred.scm)) != len(pred.scm):
        raise DataError(f"{pred_name}: column 'scm' does not list the same SCMs as {truth_name}"
                        + (" (nor a subset of them)" if pred.meta.get("scm_subset") else ""))
    return rows


def pair_arrays(truth: Samples, pred: Samples, truth_name: str = "truth", pred_name: str = "predictions"):
    """Align predictions with the truth: (x [P, N, d], y [P, M, d], truth regime indices [R']).

    Predictions cover every SCM of the truth, or, when their metadata has ``scm_subset`` (dowhy_gcm), a subset.
    """
    rows = subset_rows(truth, pred, truth_name, pred_name)
    truth = truth if rows is None else truth.select_scms(rows)
    position = {int(r): i for i, r in enumerate(truth.regime)}
    missing = [int(r) for r in pred.regime if int(r) not in position]
    if missing:
        raise DataError(f"{pred_name}: column 'regime': regime(s) {missing} not in {truth_name}")
    idx = np.array([position[int(r)] for r in pred.regime])
    if not (np.array_equal(truth.target[idx], pred.target) and np.array_equal(truth.value_index[idx], pred.value_index)):
        raise DataError(f"{pred_name}: columns 'target'/'value_index' disagree with {truth_name} for the same regimes")
    if (pred.target < 0).any():
        raise DataError(f"{pred_name}: column 'target': predictions must hold interventional regimes only")
    if truth.samples.shape[-1] != pred.samples.shape[-1]:
        raise DataError(f"{pred_name}: {pred.samples.shape[-1]} variables, {truth_name} has {truth.samples.shape[-1]}")
    S, R = pred.samples.shape[:2]
    x = truth.samples[:, idx].reshape(S * R, *truth.samples.shape[2:]).astype(np.float64)
    y = pred.samples.reshape(S * R, *pred.samples.shape[2:]).astype(np.float64)
    return x, y, idx


def score_arrays(x: np.ndarray, y: np.ndarray, metrics_config: dict, seed: int, progress: bool = True,
                 include: tuple[str, ...] = METRIC_COLUMNS) -> dict:
    """The reported metrics per pair (x [P, N, d] truth, y [P, M, d] predictions) -> name -> [P]."""
    specs = {k: v for k, v in conventions(metrics_config).items() if k in include}
    values = metrics.score_pairs(x, y, conventions=specs, seed=seed,
                                 chunk_size=metrics_config["chunk_size"], progress=progress)
    if "wsd" in values:
        wsd = metrics_config["wsd"]
        values["wsd"] = wsd_transform(values["wsd"], wsd["p"], wsd["power"], wsd["mass"], x.shape[1])
    return values


def score(truth: Samples, pred: Samples, metrics_config: dict, seed: int, means: TrueMeans, progress: bool = True,
          truth_name: str = "truth", pred_name: str = "predictions") -> pd.DataFrame:
    """Per-pair metrics as a DataFrame with the columns of ``METRICS_SCHEMA`` (means: the split's true means,
    for the effect columns)."""
    from activa.eval.effects import pair_errors

    x, y, idx = pair_arrays(truth, pred, truth_name, pred_name)
    values = score_arrays(x, y, metrics_config, seed, progress, include=(*METRIC_COLUMNS, "energy_score"))
    S, R = pred.samples.shape[:2]
    frame = pd.DataFrame({
        "scm": np.repeat(pred.scm, R).astype(np.int32),
        "regime": np.tile(pred.regime, S).astype(np.int16),
        "target": np.tile(pred.target, S).astype(np.int16),
        "value_index": np.tile(pred.value_index, S).astype(np.int16),
    })
    for column in METRIC_COLUMNS:
        frame[column] = np.asarray(values[column], dtype=np.float64)
    errors = pair_errors(means, pred, pred_name)
    for column, dtype in EFFECT_COLUMNS:
        frame[column] = errors[column].reshape(-1).astype(dtype.to_pandas_dtype())
    target = frame["target"].to_numpy().astype(np.int64)
    frame["energy_score"] = np.asarray(values["energy_score"], dtype=np.float64)
    for column, value in spread.spreads(x, y, target).items():
        frame[column] = value
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, PIT_STREAM])))
    counts = spread.pit_counts(x, y, target, rng)
    for k, column in enumerate(spread.PIT_COLUMNS):
        frame[column] = counts[:, k].astype(np.int32)
    return frame


def write_metrics(path: str | Path, frame: pd.DataFrame, meta: dict) -> None:
    table = pa.Table.from_pandas(frame, schema=METRICS_SCHEMA, preserve_index=False)
    meta = {"format_version": 1, "kind": "metrics", "activa_version": __version__, **meta}
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta, sort_keys=True).encode()})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_metrics(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """Read a metrics file, checking its columns; returns (frame, metadata)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    table = pq.read_table(path)
    for field_ in METRICS_SCHEMA:
        if field_.name not in table.column_names:
            raise DataError(f"{path}: missing column '{field_.name}' (expected {field_.type})")
        if table.schema.field(field_.name).type != field_.type:
            raise DataError(f"{path}: column '{field_.name}' has type {table.schema.field(field_.name).type}, "
                            f"expected {field_.type}")
    meta = json.loads((table.schema.metadata or {}).get(META_KEY, b"{}"))
    frame = table.to_pandas()
    bad = ~np.isfinite(frame[list(METRIC_COLUMNS)].to_numpy())
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataError(f"{path}: column '{METRIC_COLUMNS[col]}' is not finite at row {row}")
    return frame, meta
