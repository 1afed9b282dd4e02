"""The Parquet format: round trip, explicit schema, determinism, validation errors, atomic writes."""

import hashlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from activa.data import format
from activa.data.simulate import simulate_split


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def simulate_command(root, samples, scms):
    """The smoke config's gauss8 test split, written by ``python -m activa simulate``."""
    r = subprocess.run([sys.executable, "-m", "activa", "simulate", "--config", root / "config/config.yaml",
                        "--config", root / "config/smoke.yaml", "--family", "gauss8", "--split", "test",
                        "--no-progress", "--out-samples", samples, "--out-scms", scms],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.fixture
def written(tmp_path, root):
    s, m = tmp_path / "test.samples.parquet", tmp_path / "test.scms.parquet"
    simulate_command(root, s, m)
    return s, m


def test_round_trip_and_schema(written, smoke_config):
    s_path, m_path = written
    scms, expected = simulate_split(smoke_config, "gauss8", "test", progress=False)
    got = format.read_samples(s_path)
    assert got.samples.shape == (12, 9, 12, 8) and got.samples.dtype == np.float32
    assert np.array_equal(got.samples, expected.samples)
    assert got.target.tolist() == [-1, *range(8)] and got.value_index.tolist() == [-1] + [0] * 8
    assert np.isnan(got.value[0]) and (got.value[1:] == 5.0).all()
    assert pq.read_schema(s_path).remove_metadata() == format.samples_schema(12, 8)
    meta = got.meta
    assert meta["family"] == "gauss8" and meta["split"] == "test" and meta["kind"] == "samples"
    assert meta["config"] == smoke_config["families"]["gauss8"] and meta["activa_version"]
    table = format.read_scms(m_path)
    assert np.array_equal(table.adjacency, scms.adjacency.astype(np.uint8))
    assert np.array_equal(table.weights, scms.weights) and np.array_equal(table.noise_params, scms.noise_params)
    assert table.meta["noise_param_names"] == ["loc", "scale"]


def test_rewriting_gives_identical_bytes(written, tmp_path, root):
    s2, m2 = tmp_path / "again.samples.parquet", tmp_path / "again.scms.parquet"
    simulate_command(root, s2, m2)
    assert digest(s2) == digest(written[0]) and digest(m2) == digest(written[1])


def rewrite(path, out, transform):
    table = pq.read_table(path)
    pq.write_table(transform(table).replace_schema_metadata(table.schema.metadata), out)
    return out


def test_wrong_column_type_names_file_and_column(written, tmp_path):
    def cast(table):
        i = table.column_names.index("target")
        return table.set_column(i, "target", table.column("target").cast(pa.int64()))

    bad = rewrite(written[0], tmp_path / "bad.parquet", cast)
    with pytest.raises(format.DataError, match=r"bad\.parquet: column 'target' has type int64, expected int16"):
        format.read_samples(bad)


def test_missing_column_names_file_and_column(written, tmp_path):
    bad = rewrite(written[0], tmp_path / "bad.parquet", lambda t: t.drop_columns(["value_index"]))
    with pytest.raises(format.DataError, match=r"bad\.parquet: missing column 'value_index' \(expected int16\)"):
        format.read_samples(bad)


def test_wrong_sample_shape_names_the_column(written, tmp_path):
    def reshape(table):
        x = table.column("samples").combine_chunks().to_numpy_ndarray()[:, :, :7]
        i = table.column_names.index("samples")
        return table.set_column(i, "samples", pa.FixedShapeTensorArray.from_numpy_ndarray(np.ascontiguousarray(x)))

    bad = rewrite(written[0], tmp_path / "bad.parquet", reshape)
    with pytest.raises(format.DataError, match=r"bad\.parquet: column 'samples' has type .*shape=\[12,7\].*expected .*shape=\[12,8\]"):
        format.read_samples(bad)


def test_missing_regime_rows_are_an_error(written, tmp_path):
    bad = rewrite(written[0], tmp_path / "bad.parquet", lambda t: t.slice(1))
    with pytest.raises(format.DataError, match=r"bad\.parquet: column 'regime': scm 0 has 8 regimes, expected 9 like most SCMs"):
        format.read_samples(bad)


def test_nan_is_an_error_naming_where(written, tmp_path):
    def poison(table):
        x = table.column("samples").combine_chunks().to_numpy_ndarray().copy()
        x[9 * 3 + 4, 5, 2] = np.nan  # scm 3, regime 4
        i = table.column_names.index("samples")
        return table.set_column(i, "samples", pa.FixedShapeTensorArray.from_numpy_ndarray(x))

    bad = rewrite(written[0], tmp_path / "bad.parquet", poison)
    with pytest.raises(format.DataError, match=r"bad\.parquet: column 'samples': NaN or inf at scm 3, regime 4"):
        format.read_samples(bad)


def test_foreign_parquet_file_is_rejected(tmp_path):
    path = tmp_path / "foreign.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), path)
    with pytest.raises(format.DataError, match=r"foreign\.parquet: missing the 'activa' key-value metadata"):
        format.read_samples(path)
    with pytest.raises(format.DataError, match=r"nope\.parquet: file not found"):
        format.read_samples(tmp_path / "nope.parquet")


def test_writer_refuses_non_finite_samples(tmp_path):
    x = np.zeros((2, 1, 3, 2), np.float32)
    x[1, 0, 2, 1] = np.inf
    samples = format.Samples(x, np.array([0], np.int16), np.array([0], np.int16), np.array([5.0], np.float32),
                           np.arange(2, dtype=np.int32), np.array([1], np.int16))
    with pytest.raises(format.DataError, match=r"out\.parquet: refusing to write non-finite samples \(scm 1, regime 1\)"):
        format.write_samples(tmp_path / "out.parquet", samples, {})
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with format.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_a_csv_column_with_its_own_format_keeps_unix_seconds_to_the_millisecond(tmp_path):
    # 6 significant digits, the tables' format, round a Unix time (1.8e9 s) to 10,000 s: a training log's chunk
    # times would all read the same (the 2026-12-04 GPU run's logs did)
    frame = pd.DataFrame({"loss": [0.123456789, 2.0], "time": [1796400123.4567, 1796400125.0004]})
    format.write_csv(tmp_path / "plain.csv", frame)
    format.write_csv(tmp_path / "log.csv", frame, formats={"time": "{:.3f}"})
    plain, log = pd.read_csv(tmp_path / "plain.csv"), pd.read_csv(tmp_path / "log.csv")
    assert plain["time"].nunique() == 1
    np.testing.assert_allclose(log["time"], frame["time"], rtol=0, atol=5e-4)
    assert log["loss"].tolist() == plain["loss"].tolist() == [0.123457, 2.0]
