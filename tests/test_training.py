"""Training recipes and run control: the wsd schedule, the weights' moving average, fresh SCMs per batch, deadline
runs, and warm starts (train --init) with their lineage."""

import dataclasses
import json
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from activa import config as cfg
from activa.data.simulate import simulate_split
from activa.model import checkpoint
from activa.model.train import TrainConfig, fit, lr_scale, planned_total
from activa.model.v2 import ModelConfig

TINY = ModelConfig(n_values=1, heads=1, K=1, e=8, h=8, c=1, k=2, L=2, latent=2, dropout=0.0)


@pytest.fixture(scope="module")
def smoke(root):
    return cfg.load_config([root / "config/config.yaml", root / "config/smoke.yaml"])


@pytest.fixture(scope="module")
def tiny_data(smoke):
    data = simulate_split(smoke, "gauss2", "train", progress=False)[1]
    data.meta.update(config=cfg.family(smoke, "gauss2"), seed=smoke["seed"], family="gauss2")
    return data


def test_wsd_is_flat_after_the_warm_up_and_decays_linearly_over_the_last_fraction():
    scale = np.asarray(lr_scale(jnp.arange(100), 100, "wsd", 0.1, 0.2))
    np.testing.assert_allclose(scale[:10], np.arange(1, 11) / 10, rtol=1e-6)
    np.testing.assert_array_equal(scale[10:80], 1.0)
    np.testing.assert_allclose(scale[80:], (100 - np.arange(80, 100)) / 20, rtol=1e-6)


def test_the_moving_average_leaves_training_alone_and_is_what_the_run_returns(tiny_data, tmp_path):
    base = TrainConfig(batch_size=8, epochs=4, lr=3e-3, steps_per_call=4, checkpoint_every=4)
    last, log = fit(tiny_data, TINY, base, tmp_path / "a", progress=False)
    averaged, ema_log = fit(tiny_data, TINY, dataclasses.replace(base, ema=0.9), tmp_path / "b", progress=False)
    np.testing.assert_array_equal(log["loss"], ema_log["loss"])  # the same steps
    leaves = list(zip(jax.tree.leaves(last), jax.tree.leaves(averaged)))
    assert any(not np.allclose(a, b) for a, b in leaves)
    nearly_last, _ = fit(tiny_data, TINY, dataclasses.replace(base, ema=1e-6), tmp_path / "c", progress=False)
    for a, b in zip(jax.tree.leaves(last), jax.tree.leaves(nearly_last)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_fresh_scms_are_drawn_for_every_batch_reproducibly(tiny_data, tmp_path):
    fresh = TrainConfig(batch_size=8, epochs=1, steps_per_call=4, checkpoint_every=4, budget_steps=8, data="fresh")
    a, log_a = fit(tiny_data, TINY, fresh, tmp_path / "a", progress=False)
    b, log_b = fit(tiny_data, TINY, fresh, tmp_path / "b", progress=False)
    _, log_split = fit(tiny_data, TINY, dataclasses.replace(fresh, data="split"), tmp_path / "c", progress=False)
    np.testing.assert_array_equal(log_a["loss"], log_b["loss"])  # a pure function of the seed
    assert np.isfinite(log_a["loss"]).all() and not np.array_equal(log_a["loss"], log_split["loss"])
    sergio = dataclasses.replace(tiny_data, meta={**tiny_data.meta, "config": {"generator": "sergio"},
                                                  "family": "sergio"})
    with pytest.raises(ValueError, match="data 'fresh': draws new linear SCMs on the device, but the training "
                                         "split's family 'sergio' has generator 'sergio'"):
        fit(sergio, TINY, fresh, tmp_path / "d", progress=False)


def test_a_deadline_run_plans_whole_chunks_from_the_recent_rate_and_ends_its_schedule(tiny_data, tmp_path):
    assert planned_total(8, 4, [], 1000.0, 0.0) == 8 + 4 * 100  # nothing timed yet: a first guess
    assert planned_total(8, 4, [100.0, 10.0, 10.0, 10.0], 105.0, 100.0) == 8 + 48  # 5 s at the median 10 steps/s
    assert planned_total(8, 4, [10.0], 100.0, 101.0) == 8  # past the deadline: done
    run = TrainConfig(batch_size=8, epochs=1, lr=1e-3, steps_per_call=4, checkpoint_every=4, schedule="cosine",
                      warmup=0.1)
    _, log = fit(tiny_data, TINY, run, tmp_path / "a", progress=False, train_seconds=3.0)
    assert len(log) % 4 == 0 and len(log) >= 8
    assert log["lr"].iloc[-1] < 0.25 * 1e-3  # the cosine ran its course
    assert log["time"].iloc[-1] - log["time"].iloc[0] < 3.0 + 2.0
    saved = checkpoint.load(tmp_path / "a")[1]
    assert saved["total_steps"] == saved["step"] == len(log)


def train(root, configs, out, *extra):
    return subprocess.run([sys.executable, "-m", "activa", "train", *(x for c in configs for x in ("--config", c)),
                           "--variant", "gauss2", "--data", out / "train.parquet", "--no-progress",
                           "--checkpoint", out / "ck.msgpack", "--out-figures", out / "loss.png", *map(str, extra)],
                          cwd=root, capture_output=True, text=True)


def test_train_init_continues_a_model_of_the_same_variant_and_records_the_lineage(root, tmp_path):
    configs = [root / "config/config.yaml", root / "config/smoke.yaml"]
    r = subprocess.run([sys.executable, "-m", "activa", "simulate", *(x for c in configs for x in ("--config", c)),
                        "--family", "gauss2", "--split", "train", "--no-progress", "--out-samples",
                        tmp_path / "train.parquet", "--out-scms", tmp_path / "train.scms.parquet"], cwd=root,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = train(root, configs, tmp_path, "--out-model", tmp_path / "a.msgpack", "--out-log", tmp_path / "a.csv")
    assert r.returncode == 0, r.stderr
    r = train(root, configs, tmp_path, "--out-model", tmp_path / "b.msgpack", "--out-log", tmp_path / "b.csv",
              "--init", tmp_path / "a.msgpack")
    assert r.returncode == 0, r.stderr
    first, second = checkpoint.read_trained(tmp_path / "a.msgpack")[0], checkpoint.read_trained(tmp_path / "b.msgpack")[0]
    (run_a,) = first["lineage"]
    assert second["lineage"][0] == run_a and len(second["lineage"]) == 2
    from activa.data.format import sha256

    assert second["lineage"][1]["init_sha256"] == sha256(tmp_path / "a.msgpack") and run_a["init_sha256"] is None
    assert second["total_steps"] == 2 * first["steps"] == 2 * second["steps"]
    assert {"steps", "batch_size", "device", "precision", "recipe", "date", "wall_s", "train_s"} <= set(run_a)
    assert run_a["precision"] == "float32" and run_a["recipe"] == {"name": "paper", "data": "split", "ema": None}
    wider = tmp_path / "wider.yaml"  # another model config: refused, naming the key
    wider.write_text("activa: {variants: {gauss2: {e: 24}}}\n")
    r = train(root, [*configs, wider], tmp_path, "--out-model", tmp_path / "c.msgpack", "--out-log",
              tmp_path / "c.csv", "--init", tmp_path / "a.msgpack")
    assert r.returncode == 2 and not (tmp_path / "c.msgpack").exists()
    assert f"activa train: error: {tmp_path / 'a.msgpack'}: model 'gauss2' has model_config" in r.stderr
    assert "but activa.variants.gauss2 configures" in r.stderr and "--init needs a model of the same variant" in r.stderr
    r = subprocess.run([sys.executable, "-m", "activa", "simulate", *(x for c in configs for x in ("--config", c)),
                        "--family", "beta2", "--split", "train", "--no-progress", "--out-samples",
                        tmp_path / "beta2.parquet", "--out-scms", tmp_path / "beta2.scms.parquet"], cwd=root,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    beta = tmp_path / "beta.yaml"  # the same model trained on another family: refused too
    beta.write_text(json.dumps({"activa": {"variants": {"gauss2": {"train_on": "beta2"}}}}))
    r = subprocess.run([sys.executable, "-m", "activa", "train", *(x for c in [*configs, beta] for x in ("--config", c)),
                        "--variant", "gauss2", "--data", tmp_path / "beta2.parquet", "--checkpoint", tmp_path / "x",
                        "--out-model", tmp_path / "d.msgpack", "--out-log", tmp_path / "d.csv", "--out-figures",
                        tmp_path / "d.png", "--init", tmp_path / "a.msgpack"], cwd=root, capture_output=True, text=True)
    assert r.returncode == 2 and not (tmp_path / "d.msgpack").exists()
    assert "a.msgpack: model 'gauss2' has family 'gauss2', but activa.variants.gauss2 configures 'beta2'" in r.stderr
