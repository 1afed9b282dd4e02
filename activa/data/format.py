"""The dataset format: Parquet files with explicit pyarrow schemas, written atomically, read with validation.

Every family (linear Gaussian/Beta, SERGIO with 8 or 11 genes) uses the same two files per split.

``<split>.samples.parquet``: one row per (SCM, regime), sorted by (scm, regime)

======== ==================================== ===================================================
column   type                                 meaning
======== ==================================== ===================================================
scm      int32                                SCM index within the file, 0..S-1
regime   int16                                0 = observational, then one per (target, value)
target   int16                                intervened variable, -1 for the observational regime
value_index int16                             index into ``intervention_values`` (SERGIO: 0 =
                                              knockout to 0), -1 for the observational regime
value    float32 (null when observational)    nominal intervention value (before any jitter)
samples  fixed_shape_tensor<float32>[N, d]    N samples of the d variables in that regime
======== ==================================== ===================================================

Prediction files (a model's or the baseline's samples) use the same schema and hold the interventional
regimes only, with the ``scm`` and ``regime`` of the ground truth they predict.

``<split>.scms.parquet``: one row per SCM: ``scm`` int32, ``adjacency`` fixed_shape_tensor<uint8>[d, d]
(``[i, j] = 1`` for the edge i -> j), ``weights`` fixed_shape_tensor<float64>[d, d] (beta_ij),
``noise_params`` fixed_shape_tensor<float64>[d, P] (P named by ``noise_param_names`` in the metadata).

Both files carry the Parquet key-value metadata key ``activa`` holding JSON: ``format_version``, ``kind``
("samples", "predictions" or "scms"), ``family``, ``split``, ``n_vars``, ``n_samples``,
``intervention_values``, ``activa_version``, the generating family ``config`` and ``seed`` (and, for
predictions, ``method``).

``<split>.means.parquet``: one row per (SCM, regime), as the samples file: ``scm``, ``regime``, ``target``,
``mean`` fixed_shape_tensor<float64>[d] (the regime's true mean: closed form for linear SCMs, the pooled mean
of independent runs for SERGIO; metadata ``source``) and ``descendant`` fixed_shape_tensor<uint8>[d] (1 where
the variable is a descendant of the target in the SCM's graph; 0 for the target itself and in the
observational regime).

Files are written to a hidden temporary name and renamed, so an interrupted write never leaves a file that looks
complete, and the next write to the folder removes what a killed one left (``atomic_path``); identical inputs give
byte-identical files. ``check_input`` refuses a file whose metadata is not what a stage's arguments say.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from activa import __version__

FORMAT_VERSION = 1
META_KEY = b"activa"


class DataError(ValueError):
    """A dataset file does not match the activa format."""


def samples_schema(n_samples: int, n_vars: int) -> pa.Schema:
    return pa.schema([
        pa.field("scm", pa.int32(), nullable=False),
        pa.field("regime", pa.int16(), nullable=False),
        pa.field("target", pa.int16(), nullable=False),
        pa.field("value_index", pa.int16(), nullable=False),
        pa.field("value", pa.float32()),
        pa.field("samples", pa.fixed_shape_tensor(pa.float32(), [n_samples, n_vars]), nullable=False),
    ])


def scms_schema(n_vars: int, n_params: int = 2) -> pa.Schema:
    """Per-SCM columns; ``noise_params`` holds ``n_params`` per-variable parameters (named in the metadata)."""
    return pa.schema([
        pa.field("scm", pa.int32(), nullable=False),
        pa.field("adjacency", pa.fixed_shape_tensor(pa.uint8(), [n_vars, n_vars]), nullable=False),
        pa.field("weights", pa.fixed_shape_tensor(pa.float64(), [n_vars, n_vars]), nullable=False),
        pa.field("noise_params", pa.fixed_shape_tensor(pa.float64(), [n_vars, n_params]), nullable=False),
    ])


def means_schema(n_vars: int) -> pa.Schema:
    return pa.schema([
        pa.field("scm", pa.int32(), nullable=False),
        pa.field("regime", pa.int16(), nullable=False),
        pa.field("target", pa.int16(), nullable=False),
        pa.field("mean", pa.fixed_shape_tensor(pa.float64(), [n_vars]), nullable=False),
        pa.field("descendant", pa.fixed_shape_tensor(pa.uint8(), [n_vars]), nullable=False),
    ])


TEMPORARY = ".{name}.tmp-{host}-{pid}"
"""The name a write goes to before its rename: hidden (a dot file, beside the output, on the same file system), and
tagged with the host and process that write it, so that a later write can tell a dead writer's leftover."""


def _host() -> str:
    return socket.gethostname().replace("-", "_") or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def stale_temporaries(folder: str | Path) -> list[Path]:
    """The temporaries in ``folder`` left by writes of this host whose process is gone (killed, e.g. by SIGKILL or
    a cluster's time limit, before ``atomic_path`` could remove them). Another host's are never touched: whether its
    writer still runs cannot be known here."""
    stale = []
    for tmp in Path(folder).glob(".*.tmp-*"):
        host, _, pid = tmp.name.rpartition(".tmp-")[2].rpartition("-")
        if host == _host() and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            stale.append(tmp)
    return sorted(stale)


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path next to ``path`` (``TEMPORARY``); rename it to ``path`` only if the block succeeds.

    An exception removes the temporary; a killed process cannot, so every write first removes the stale temporaries
    of its folder (``stale_temporaries``): a rerun leaves no trace of the killed one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in stale_temporaries(path.parent):
        stale.unlink(missing_ok=True)
    tmp = path.with_name(TEMPORARY.format(name=path.name, host=_host(), pid=os.getpid()))
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_text(path: str | Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_csv(path: str | Path, frame: pd.DataFrame, formats: dict[str, str] | None = None) -> None:
    """Write a table as CSV atomically (no index; floats to 6 significant digits, but the columns named in
    ``formats`` with their own format, e.g. ``{"time": "{:.3f}"}`` for Unix seconds, which 6 digits round to hours)."""
    if formats:
        frame = frame.assign(**{column: frame[column].map(fmt.format) for column, fmt in formats.items()})
    write_text(path, frame.to_csv(index=False, float_format="%.6g"))


def read_csv(path: str | Path, what: str) -> pd.DataFrame:
    """Read a CSV table; ``DataError`` naming the file and ``what`` it should be if it cannot."""
    try:
        return pd.read_csv(path)
    except (FileNotFoundError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: not a readable {what}: {exc}") from None


def _tensor(array: np.ndarray, dtype) -> pa.Array:
    return pa.FixedShapeTensorArray.from_numpy_ndarray(np.ascontiguousarray(array, dtype=dtype))


def _write(table: pa.Table, path: str | Path, meta: dict) -> None:
    meta = {"format_version": FORMAT_VERSION, "activa_version": __version__, **meta}
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta, sort_keys=True).encode()})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


@dataclass
class Samples:
    """Samples of S SCMs in R regimes, dense and ready for JAX.

    samples: [S, R, N, d] float32. target, value_index: [R] int16 (-1 = observational).
    value: [R] float32 (NaN = observational). scm: [S] int32, the SCM index of each row of ``samples``.
    regime: [R] int16, the regime index of each column. meta: the file's ``activa`` metadata.
    """

    samples: np.ndarray
    target: np.ndarray
    value_index: np.ndarray
    value: np.ndarray
    scm: np.ndarray
    regime: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def interventional(self) -> np.ndarray:
        """Indices (into the regime axis) of the interventional regimes."""
        return np.flatnonzero(self.target >= 0)

    def select_scms(self, rows: np.ndarray | slice) -> Samples:
        """These samples on the SCMs at ``rows`` (indices into the SCM axis), in that order."""
        return replace(self, samples=self.samples[rows], scm=self.scm[rows])

    def digest(self) -> str:
        """SHA-256 of the arrays (not the metadata): equal for two files holding the same samples whatever else
        their metadata records (e.g. the other splits' sizes of the config that wrote them)."""
        h = hashlib.sha256()
        for array in (self.samples, self.target, self.value_index, self.value, self.scm, self.regime):
            array = np.ascontiguousarray(array)
            h.update(f"{array.dtype.str}{array.shape}".encode())
            h.update(array.tobytes())
        return h.hexdigest()


def write_samples(path: str | Path, data: Samples, meta: dict) -> None:
    """Write ``data`` (every SCM has the same regimes) as a samples or predictions file."""
    S, R, N, d = data.samples.shape
    if not np.isfinite(data.samples).all():
        s, r = np.argwhere(~np.isfinite(data.samples).all(axis=(2, 3)))[0]
        raise DataError(f"{path}: refusing to write non-finite samples (scm {data.scm[s]}, regime {data.regime[r]})")
    value = np.tile(data.value.astype(np.float32), S)
    table = pa.table(
        {
            "scm": pa.array(np.repeat(data.scm, R), pa.int32()),
            "regime": pa.array(np.tile(data.regime, S), pa.int16()),
            "target": pa.array(np.tile(data.target, S), pa.int16()),
            "value_index": pa.array(np.tile(data.value_index, S), pa.int16()),
            "value": pa.array(value, pa.float32(), mask=np.isnan(value)),
            "samples": _tensor(data.samples.reshape(S * R, N, d), np.float32),
        },
        schema=samples_schema(N, d),
    )
    meta = {**meta, "n_vars": d, "n_samples": N}
    _write(table, path, meta)


def write_scms(path: str | Path, adjacency: np.ndarray, weights: np.ndarray, noise_params: np.ndarray,
               meta: dict) -> None:
    """Write per-SCM metadata: adjacency [S, d, d], weights [S, d, d], noise_params [S, d, P].

    ``meta["noise_param_names"]`` names the P per-variable parameters (linear SCMs: (loc, scale) or (a, b);
    SERGIO: basal rate per cell type, decay, hill, noise).
    """
    S, d, _ = weights.shape
    if len(meta.get("noise_param_names", ("", ""))) != noise_params.shape[-1]:
        raise ValueError(f"{path}: meta['noise_param_names'] must name all {noise_params.shape[-1]} parameters")
    table = pa.table(
        {
            "scm": pa.array(np.arange(S), pa.int32()),
            "adjacency": _tensor(adjacency, np.uint8),
            "weights": _tensor(weights, np.float64),
            "noise_params": _tensor(noise_params, np.float64),
        },
        schema=scms_schema(d, noise_params.shape[-1]),
    )
    _write(table, path, {**meta, "kind": "scms", "n_vars": d})


def _open(path: str | Path) -> tuple[pa.Table, dict]:
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file: {exc}") from None
    raw = (table.schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise DataError(f"{path}: missing the '{META_KEY.decode()}' key-value metadata of the activa format")
    meta = json.loads(raw)
    if meta.get("format_version") != FORMAT_VERSION:
        raise DataError(f"{path}: format_version {meta.get('format_version')!r}, expected {FORMAT_VERSION}")
    return table, meta


def _check_schema(path, table: pa.Table, expected: pa.Schema) -> None:
    for field_ in expected:
        if field_.name not in table.column_names:
            raise DataError(f"{path}: missing column '{field_.name}' (expected {field_.type})")
        got = table.schema.field(field_.name).type
        if got != field_.type:
            raise DataError(f"{path}: column '{field_.name}' has type {got}, expected {field_.type}")
        if not field_.nullable and table.column(field_.name).null_count:
            raise DataError(f"{path}: column '{field_.name}' has null values")
    extra = set(table.column_names) - set(expected.names)
    if extra:
        raise DataError(f"{path}: unexpected column(s) {sorted(extra)}")


def _dense(table: pa.Table, column: str) -> np.ndarray:
    return table.column(column).combine_chunks().to_numpy_ndarray()


def read_samples(path: str | Path) -> Samples:
    """Read and validate a samples or predictions file into dense arrays (see ``Samples``)."""
    table, meta = _open(path)
    try:
        n, d = int(meta["n_samples"]), int(meta["n_vars"])
    except KeyError as exc:
        raise DataError(f"{path}: metadata lacks {exc}") from None
    _check_schema(path, table, samples_schema(n, d))
    scm = table.column("scm").to_numpy()
    regime = table.column("regime").to_numpy()
    if len(scm) == 0:
        raise DataError(f"{path}: no rows")
    order = np.lexsort((regime, scm))
    if not np.array_equal(order, np.arange(len(order))):
        raise DataError(f"{path}: rows are not sorted by (scm, regime)")
    scms, counts = np.unique(scm, return_counts=True)
    R = int(np.bincount(counts).argmax())  # the regime count of most SCMs
    if not (counts == R).all():
        i = np.flatnonzero(counts != R)[0]
        raise DataError(f"{path}: column 'regime': scm {scms[i]} has {counts[i]} regimes, expected {R} like most SCMs")
    layout = {c: table.column(c).to_numpy(zero_copy_only=False).reshape(len(scms), R) for c in ("regime", "target", "value_index")}
    for c, grid in layout.items():
        if not (grid == grid[0]).all():
            bad = scms[np.flatnonzero((grid != grid[0]).any(axis=1))[0]]
            raise DataError(f"{path}: column '{c}': scm {bad} has a different regime layout than scm {scms[0]}")
    if ((layout["target"][0] < -1) | (layout["target"][0] >= d)).any():
        raise DataError(f"{path}: column 'target': values must lie in -1..{d - 1}")
    samples = _dense(table, "samples").reshape(len(scms), R, n, d)
    finite = np.isfinite(samples).all(axis=(2, 3))
    if not finite.all():
        s, r = np.argwhere(~finite)[0]
        raise DataError(f"{path}: column 'samples': NaN or inf at scm {scms[s]}, regime {layout['regime'][0][r]}")
    value = table.column("value").to_numpy(zero_copy_only=False).astype(np.float32)[:R]
    return Samples(samples, layout["target"][0], layout["value_index"][0], value,
                   scms.astype(np.int32), layout["regime"][0], meta)


def check_input(path: str | Path, meta: dict, **expected: tuple[object, str]) -> None:
    """``DataError`` unless a stage's input file is what its arguments say, from the file's ``activa`` metadata
    (``meta``): ``expected`` maps a metadata key (kind, family, split, method, n_vars, intervention_values) to
    (value, where the stage has it from: a CLI flag or a config key). The message names the file, the key, what the
    file holds and what was expected, e.g. "p.parquet: metadata 'family' is 'gauss2' (2 variables), but --family
    is 'gauss8' (8 variables)". Every stage checks its inputs with it before any work (``activa.stages``)."""
    for key, (want, source) in expected.items():
        got = meta.get(key)
        if got == want:  # JSON metadata: lists, not tuples
            continue
        held = f" ({meta['n_vars']} variables)" if key == "family" and "n_vars" in meta else ""
        wanted = f" ({expected['n_vars'][0]} variables)" if key == "family" and "n_vars" in expected else ""
        verb = "takes" if key == "kind" else "is"
        raise DataError(f"{path}: metadata '{key}' is {got!r}{held}, but {source} {verb} {want!r}{wanted}")


@dataclass
class SCMTable:
    """Per-SCM metadata: adjacency [S, d, d] uint8, weights [S, d, d], noise_params [S, d, P], meta."""

    adjacency: np.ndarray
    weights: np.ndarray
    noise_params: np.ndarray
    meta: dict


def read_scms(path: str | Path) -> SCMTable:
    """Read and validate a ``.scms.parquet`` file."""
    table, meta = _open(path)
    if "n_vars" not in meta:
        raise DataError(f"{path}: metadata lacks 'n_vars'")
    _check_schema(path, table, scms_schema(int(meta["n_vars"]), len(meta.get("noise_param_names", ("", "")))))
    if not np.array_equal(table.column("scm").to_numpy(), np.arange(table.num_rows)):
        raise DataError(f"{path}: column 'scm' must be 0..{table.num_rows - 1} in order")
    return SCMTable(_dense(table, "adjacency"), _dense(table, "weights"), _dense(table, "noise_params"), meta)


def check_scms_of(scms: SCMTable, samples: Samples, scms_name: str, samples_name: str) -> None:
    """``DataError`` unless ``scms`` are the SCMs of ``samples``: same family, split, seed and generating config in
    the metadata, and one row of the same number of variables per SCM."""
    for key in ("family", "split", "seed", "config"):
        if scms.meta.get(key) != samples.meta.get(key):
            raise DataError(f"{scms_name}: metadata '{key}' is {scms.meta.get(key)!r} but {samples_name} has "
                            f"{samples.meta.get(key)!r}: not the SCMs of these samples")
    if len(scms.adjacency) != len(samples.scm) or scms.adjacency.shape[-1] != samples.samples.shape[-1]:
        raise DataError(f"{scms_name}: {len(scms.adjacency)} SCMs of {scms.adjacency.shape[-1]} variables, but "
                        f"{samples_name} has {len(samples.scm)} of {samples.samples.shape[-1]}")


@dataclass
class TrueMeans:
    """The true mean of every regime of a test split: mean [S, R, d] float64, descendant [S, R, d] bool (of
    the target), with the split's scm [S], regime [R] and target [R]; meta: the file's metadata."""

    mean: np.ndarray
    descendant: np.ndarray
    scm: np.ndarray
    regime: np.ndarray
    target: np.ndarray
    meta: dict = field(default_factory=dict)


def write_means(path: str | Path, means: TrueMeans, meta: dict) -> None:
    """Write a ``.means.parquet`` file (see the module docstring)."""
    S, R, d = means.mean.shape
    if not np.isfinite(means.mean).all():
        raise DataError(f"{path}: refusing to write non-finite means")
    table = pa.table({
        "scm": pa.array(np.repeat(means.scm, R), pa.int32()),
        "regime": pa.array(np.tile(means.regime, S), pa.int16()),
        "target": pa.array(np.tile(means.target, S), pa.int16()),
        "mean": _tensor(means.mean.reshape(S * R, d), np.float64),
        "descendant": _tensor(means.descendant.reshape(S * R, d), np.uint8),
    }, schema=means_schema(d))
    _write(table, path, {**meta, "kind": "means", "n_vars": d})


def read_means(path: str | Path) -> TrueMeans:
    """Read and validate a ``.means.parquet`` file."""
    table, meta = _open(path)
    if meta.get("kind") != "means" or "n_vars" not in meta:
        raise DataError(f"{path}: metadata 'kind' is {meta.get('kind')!r}, expected 'means' (with 'n_vars')")
    d = int(meta["n_vars"])
    _check_schema(path, table, means_schema(d))
    scm, regime = table.column("scm").to_numpy(), table.column("regime").to_numpy()
    scms = np.unique(scm)
    R = len(regime) // max(len(scms), 1)
    if len(scms) * R != len(regime) or not (regime.reshape(len(scms), R) == regime[:R]).all():
        raise DataError(f"{path}: column 'regime': every SCM must have the same regimes, in order")
    if not np.array_equal(scm, np.repeat(scms, R)):
        raise DataError(f"{path}: rows are not sorted by (scm, regime)")
    return TrueMeans(_dense(table, "mean").reshape(len(scms), R, d),
                     _dense(table, "descendant").reshape(len(scms), R, d).astype(bool), scms.astype(np.int32),
                     regime[:R].astype(np.int16), table.column("target").to_numpy()[:R].astype(np.int16), meta)


def check_means_of(means: TrueMeans, samples: Samples, means_name: str, samples_name: str) -> None:
    """``DataError`` unless ``means`` are of ``samples``' split: same family, split, seed, config, SCMs, regimes."""
    for key in ("family", "split", "seed", "config"):
        if means.meta.get(key) != samples.meta.get(key):
            raise DataError(f"{means_name}: metadata '{key}' is {means.meta.get(key)!r} but {samples_name} has "
                            f"{samples.meta.get(key)!r}: not the means of these samples")
    if not (np.array_equal(means.scm, samples.scm) and np.array_equal(means.regime, samples.regime)
            and np.array_equal(means.target, samples.target)):
        raise DataError(f"{means_name}: its SCMs or regimes differ from those of {samples_name}")
