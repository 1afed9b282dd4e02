"""Bad input, case by case (docs/bad_input.md): every stage refuses a file that is not what its arguments say, every
CLI option and API argument is checked, a killed write leaves nothing a rerun keeps, a model file that changed is
refused. Each test asserts the exact message and that no output was written."""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from flax import serialization

from activa.api import TrainedModel
from activa.data import format
from activa.data.format import DataError
from activa.model import api, checkpoint, shipped
from conftest import activa, simulate_files


@pytest.fixture(scope="module")
def files(tmp_path_factory, root):
    """The smoke config's Gauss 2 and Gauss 8 test splits, Gauss 2's means and its baseline predictions."""
    out = tmp_path_factory.mktemp("bad_input")
    cfg = ["--config", root / "config/config.yaml", "--config", root / "config/smoke.yaml"]
    for family in ("gauss2", "gauss8"):
        simulate_files(root, cfg, family, "test", out / f"{family}.samples.parquet", out / f"{family}.scms.parquet")
    r = activa(root, "truth-pooled", *cfg, "--family", "gauss2", "--data", out / "gauss2.samples.parquet", "--scms",
               out / "gauss2.scms.parquet", "--out", out / "gauss2.pooled.parquet", "--out-means",
               out / "gauss2.means.parquet", "--out-floor", out / "gauss2.floor.csv", "--no-progress")
    assert r.returncode == 0, r.stderr
    r = activa(root, "baseline", *cfg, "--family", "gauss2", "--data", out / "gauss2.samples.parquet",
               "--out", out / "gauss2.baseline.parquet")
    assert r.returncode == 0, r.stderr
    return root, out, cfg


def refused(r, message: str, outputs) -> None:
    assert r.returncode == 2, r.stderr
    assert message in r.stderr, r.stderr
    assert not [path for path in outputs if path.exists()]


# 1. inputs that are not what the arguments say

def test_predict_refuses_another_familys_samples(files, tmp_path):
    root, out, cfg = files
    r = activa(root, "predict", *cfg, "--method", "activa", "--model", root / "models/v2/gauss8.msgpack", "--family",
               "gauss8", "--data", out / "gauss2.samples.parquet", "--out", tmp_path / "p.parquet", "--no-progress")
    refused(r, f"activa predict: error: {out / 'gauss2.samples.parquet'}: metadata 'family' is 'gauss2' (2 variables), "
               "but --family is 'gauss8' (8 variables)", [tmp_path / "p.parquet"])


def test_baseline_refuses_another_familys_samples(files, tmp_path):
    root, out, cfg = files
    r = activa(root, "baseline", *cfg, "--family", "gauss8", "--data", out / "gauss2.samples.parquet",
               "--out", tmp_path / "b.parquet")
    refused(r, f"{out / 'gauss2.samples.parquet'}: metadata 'family' is 'gauss2' (2 variables), but --family is "
               "'gauss8' (8 variables)", [tmp_path / "b.parquet"])


def test_metrics_refuses_a_family_method_or_kind_other_than_its_arguments(files, tmp_path):
    root, out, cfg = files
    m = tmp_path / "m.parquet"
    common = ["--means", out / "gauss2.means.parquet", "--out", m, "--no-progress"]
    r = activa(root, "metrics", *cfg, "--family", "gauss8", "--method", "baseline", "--truth",
               out / "gauss2.samples.parquet", "--pred", out / "gauss2.baseline.parquet", *common)
    refused(r, f"{out / 'gauss2.samples.parquet'}: metadata 'family' is 'gauss2' (2 variables), but --family is "
               "'gauss8'", [m])
    r = activa(root, "metrics", *cfg, "--family", "gauss2", "--method", "activa", "--truth",
               out / "gauss2.samples.parquet", "--pred", out / "gauss2.baseline.parquet", *common)
    refused(r, f"{out / 'gauss2.baseline.parquet'}: metadata 'method' is 'baseline', but --method is 'activa'", [m])
    r = activa(root, "metrics", *cfg, "--family", "gauss2", "--method", "baseline", "--truth",
               out / "gauss2.samples.parquet", "--pred", out / "gauss2.samples.parquet", *common)
    refused(r, f"{out / 'gauss2.samples.parquet'}: metadata 'kind' is 'samples', but --pred takes 'predictions'", [m])
    r = activa(root, "metrics", *cfg, "--family", "gauss2", "--method", "truth_pooled", "--truth",
               out / "gauss8.samples.parquet", "--pred", out / "gauss2.pooled.parquet", *common)
    refused(r, f"{out / 'gauss8.samples.parquet'}: metadata 'family' is 'gauss8' (8 variables), but --family is "
               "'gauss2'", [m])


def test_check_input_names_the_file_the_key_and_both_values():
    meta = {"kind": "predictions", "family": "gauss2", "n_vars": 2, "intervention_values": [5.0]}
    format.check_input("p.parquet", meta, kind=("predictions", "--pred"), intervention_values=([5], "config"))
    with pytest.raises(DataError, match=r"^p\.parquet: metadata 'intervention_values' is \[5\.0\], but "
                                        r"families\.gauss2\.intervention_values is \[0\.0\]$"):
        format.check_input("p.parquet", meta, intervention_values=([0.0], "families.gauss2.intervention_values"))
    with pytest.raises(DataError, match=r"^p\.parquet: metadata 'n_vars' is 2, but --truth's n_vars is 8$"):
        format.check_input("p.parquet", meta, family=("gauss2", "--family"), n_vars=(8, "--truth's n_vars"))


# 2. a write killed half way

KILLED_WRITE = """
import os, signal, sys
import pyarrow.parquet as pq
write = pq.write_table
def write_then_die(table, where, **options):
    write(table, where, **options)  # the temporary is on disk, not yet renamed
    os.kill(os.getpid(), signal.SIGKILL)
pq.write_table = write_then_die
from activa.cli import main
main(sys.argv[1:])
"""


def test_a_write_killed_half_way_leaves_a_hidden_temporary_that_the_rerun_removes(files, tmp_path):
    root, out, cfg = files
    folder = tmp_path / "predictions"
    args = ["baseline", *map(str, cfg), "--family", "gauss2", "--data", str(out / "gauss2.samples.parquet"),
            "--out", str(folder / "b.parquet")]
    killed = subprocess.Popen([sys.executable, "-c", KILLED_WRITE, *args], cwd=root, stderr=subprocess.PIPE, text=True)
    assert killed.wait() == -9, killed.stderr.read()
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == []
    (left,) = folder.iterdir()
    assert left.name == format.TEMPORARY.format(name="b.parquet", host=format._host(), pid=killed.pid)
    assert format.stale_temporaries(folder) == [left]
    r = activa(root, *args)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["b.parquet"]
    format.read_samples(folder / "b.parquet")


def test_a_live_writers_temporary_is_left_alone(tmp_path):
    live = tmp_path / format.TEMPORARY.format(name="x.parquet", host=format._host(), pid=os.getppid())
    other_host = tmp_path / format.TEMPORARY.format(name="y.parquet", host="elsewhere", pid=2**22 + 1)
    live.write_text("")
    other_host.write_text("")
    format.write_text(tmp_path / "z.txt", "z")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other_host.name, "z.txt"])


# 3. CLI options and API arguments

def test_cli_options_out_of_range_are_refused_by_name(files, tmp_path):
    root, out, cfg = files
    r = activa(root, "predict", *cfg, "--method", "activa", "--model", root / "models/v2/gauss2.msgpack", "--family",
               "gauss2", "--data", out / "gauss2.samples.parquet", "--out", tmp_path / "p.parquet", "--n-latents", 0)
    refused(r, "activa predict: error: argument --n-latents: expected an integer in 1..10000, got '0'",
            [tmp_path / "p.parquet"])
    r = activa(root, "simulate", *cfg, "--family", "gauss2", "--split", "test", "--out-samples", tmp_path / "s",
               "--out-scms", tmp_path / "t", "--workers", "2.5")
    refused(r, "activa simulate: error: argument --workers: expected an integer >= 1, got '2.5'", [tmp_path / "s"])
    r = activa(root, "train", *cfg, "--variant", "gauss2", "--data", out / "gauss2.samples.parquet", "--checkpoint",
               tmp_path / "c", "--out-model", tmp_path / "m", "--out-log", tmp_path / "l", "--out-figures",
               tmp_path / "f.png", "--train-seconds", "-1")
    refused(r, "activa train: error: argument --train-seconds: expected a finite number of seconds > 0, got '-1'",
            [tmp_path / "m"])


@pytest.fixture(scope="module")
def gauss2():
    return TrainedModel.pretrained("gauss2"), np.random.default_rng(0).normal(size=(40, 2))


@pytest.mark.parametrize("options, message", [
    ({"n_samples": 0}, "n_samples: expected an integer in 1..134,217,728 (a result of at most 1,024 MiB for 2 variables: "
                       "draw more in several calls with other seeds), got 0"),
    ({"n_samples": -5}, "n_samples: expected an integer in 1..134,217,728"),
    ({"n_samples": 2.5}, "n_samples: expected an integer in 1..134,217,728"),
    ({"n_samples": 10**9}, "n_samples: expected an integer in 1..134,217,728"),
    ({"seed": 1.5}, "seed: expected an integer in 0..4,294,967,295, got 1.5"),
    ({"seed": 10**20}, "seed: expected an integer in 0..4,294,967,295, got 100000000000000000000"),
    ({"seed": -1}, "seed: expected an integer in 0..4,294,967,295, got -1"),
    ({"n_latents": 0}, "n_latents: expected an integer in 1..10,000, got 0"),
    ({"n_latents": 10**6}, "n_latents: expected an integer in 1..10,000, got 1000000"),
])
def test_predict_refuses_arguments_out_of_range(gauss2, options, message):
    model, x = gauss2
    with pytest.raises(ValueError) as caught:
        model.predict(x, 0, 0, **options)
    assert str(caught.value).startswith(message)


def test_float16_input_that_overflowed_is_named_by_its_entry(gauss2):
    model, x = gauss2
    half = x.astype(np.float16)
    with np.errstate(over="ignore"):
        half[7, 1] = np.float16(1e18)  # inf: float16 ends at 65504
    with pytest.raises(ValueError, match=r"^observational: inf at sample 7, variable 1: expected finite values"):
        model.predict(half, 0, 0)


def test_pretrained_and_load_refuse_what_they_cannot_use(tmp_path):
    with pytest.raises(DataError, match=rf"^{shipped.MANIFEST.parent}: a folder; expected the manifest file of the "
                                        rf"shipped models \(e\.g\. {shipped.MANIFEST}\)$"):
        TrainedModel.pretrained("gauss2", manifest=shipped.MANIFEST.parent)
    with pytest.raises(ValueError, match=r"^name: expected a shipped model's name \(str\), got 2$"):
        TrainedModel.pretrained(2)
    with pytest.raises(ValueError, match=r"^precision: expected one of float32, bfloat16, got 'float16'$"):
        TrainedModel.load(shipped.MANIFEST.parent / "v2/gauss2.msgpack", precision="float16")
    with pytest.raises(DataError, match=rf"^{tmp_path}: a folder; expected an activa model or checkpoint file$"):
        TrainedModel.load(tmp_path)


def test_many_samples_are_drawn_in_chunks_from_the_same_mixture(gauss2, monkeypatch):
    model, x = gauss2
    whole = model.predict(x, 1, 0, n_samples=3000, seed=5)
    monkeypatch.setattr(api, "CHUNK", 1000)
    chunked = model.predict(x, 1, 0, n_samples=3000, seed=5)
    again = model.predict(x, 1, 0, n_samples=3000, seed=5)
    for field in ("weights", "means", "covs"):  # the same latents, so the same mixture
        np.testing.assert_allclose(getattr(chunked, field), getattr(whole, field), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(chunked.samples, again.samples)
    assert chunked.samples.shape == (3000, 2) and not np.array_equal(chunked.samples[:1000], chunked.samples[1000:2000])
    mean = chunked.weights @ chunked.means  # the mixture's mean; the draws' means within 5 standard errors of it
    np.testing.assert_allclose(chunked.samples.mean(axis=0), mean, atol=5 * chunked.samples.std(axis=0).max() / 3000**0.5)


# 5. model files carry their own checksum

def test_a_model_file_with_one_byte_changed_is_refused_by_load(tmp_path):
    model = tmp_path / "gauss2.msgpack"
    data = bytearray((shipped.MANIFEST.parent / "v2/gauss2.msgpack").read_bytes())
    data[len(data) // 2] ^= 0x01  # a parameter's byte: msgpack still reads it
    model.write_bytes(bytes(data))
    with pytest.raises(DataError, match=rf"^{model}: content does not match its SHA-256 checksum \({len(data):,} "
                                        r"bytes\): the file was changed or damaged after it was written; restore it "
                                        r"\(a shipped model: git checkout\) or write it again$"):
        TrainedModel.load(model)


def test_a_file_without_a_checksum_is_read_with_a_warning_and_upgraded(tmp_path):
    tree, meta = checkpoint.load(shipped.MANIFEST.parent / "v2/gauss2.msgpack")
    legacy = tmp_path / "old.msgpack"
    legacy.write_bytes(serialization.msgpack_serialize({"format": checkpoint.LEGACY, "meta": json.dumps(meta),
                                                        "tree": tree}))
    with pytest.warns(UserWarning, match="format 'activa-checkpoint-1' carries no checksum and is read unverified"):
        old_tree, old_meta = checkpoint.load(legacy)
    assert checkpoint.upgrade(legacy) and not checkpoint.upgrade(legacy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new_tree, new_meta = checkpoint.load(legacy)
    assert new_meta == old_meta == meta and checkpoint.params_digest(new_tree) == checkpoint.params_digest(tree)


def test_a_corrupt_checkpoint_says_to_delete_it(files, tmp_path):
    root, out, cfg = files
    simulate_files(root, cfg, "gauss2", "train", tmp_path / "train.parquet", tmp_path / "train.scms.parquet")
    ck = tmp_path / "ck.msgpack"
    ck.write_bytes(b"\x85 not msgpack")
    r = activa(root, "train", *cfg, "--variant", "gauss2", "--data", tmp_path / "train.parquet", "--checkpoint", ck,
               "--out-model", tmp_path / "m.msgpack", "--out-log", tmp_path / "log.csv", "--out-figures",
               tmp_path / "loss.png", "--no-progress")
    refused(r, f"The training checkpoint cannot be resumed from: delete it (rm {ck}) and training starts over from "
               "step 0", [tmp_path / "m.msgpack", tmp_path / "log.csv"])
    assert f"activa train: error: {ck}: not a readable activa model or checkpoint file (13 bytes" in r.stderr
