"""The shipped models (models/manifest.json): files as the manifest says, loadable and sensible on this CPU, and
refused or reported clearly when damaged."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from activa import config as cfg
from activa.api import TrainedModel
from activa.data.format import DataError
from activa.model import lineage, shipped
from activa.model.checkpoint import environment, read_trained
from activa.model.variants import model_config

TABLE1_VARIANTS = ["beta2", "beta8", "gauss2", "gauss8", "sergio"]
V1_TABLE5_VARIANTS = ["v1_beta", "v1_beta1", "v1_beta10", "v1_gaussian", "v1_gaussian1", "v1_gaussian10", "v1_sergio"]


@pytest.fixture(scope="module")
def paper_config(root):
    return cfg.load_config([root / "config/config.yaml"])


def test_every_table1_and_v1_table5_variant_ships_and_matches_its_manifest_entry(paper_config):
    models = shipped.read_manifest()
    assert sorted(models) == sorted(TABLE1_VARIANTS + V1_TABLE5_VARIANTS) == shipped.names()
    for name, entry in models.items():
        model_path, log_path, _ = shipped.verified(name)  # SHA-256 of both files
        assert model_path.stat().st_size == entry["bytes"] < 5 * 2**20
        meta, n_params = read_trained(model_path)
        spec = paper_config["activa"]["variants"][name]
        assert (meta["variant"], meta["family"], meta["architecture"]) == (name, spec["train_on"], spec["architecture"])
        assert model_path.parent.name == spec["architecture"]
        configured = model_config(paper_config, name)[0].to_dict()
        assert meta["model_config"] == entry["model_config"]
        assert {**meta["model_config"], "dropout": configured["dropout"]} == configured
        assert meta["model_config"]["dropout"] in (configured["dropout"], 0.0)  # 0: a dropout-free fine-tune
        assert meta["train_config"] == entry["train_config"]
        assert meta["written_by"] == entry["written_by"] and entry["device"] == meta["written_by"]["device"]
        assert n_params == entry["parameters"]
        # the lineage: every run of the model, the manifest's records at least as complete as the file's
        history = lineage.of(meta)
        assert len(entry["lineage"]) == len(history) and entry["lineage"][-1]["steps"] == history[-1]["steps"]
        assert entry["total_steps"] == entry["steps"] == lineage.total_steps(entry["lineage"])
        assert all(run["date"] and run["device"] for run in entry["lineage"])
        log = pd.read_csv(log_path)  # every run's steps, numbered on
        assert log["step"].tolist() == list(range(1, entry["total_steps"] + 1)) and np.isfinite(log["loss"]).all()
        assert entry["training_data"]["scms"] == paper_config["families"][spec["train_on"]]["splits"]["train"]


def test_shipped_models_were_written_elsewhere_and_load_here():
    """Trained first by JAX on a GPU (the manifest's record; some then fine-tuned on a CPU), loaded and run by this
    CPU's JAX."""
    entries = shipped.read_manifest().values()
    assert all(entry["lineage"][0]["backend"] == "gpu" for entry in entries)
    assert "gpu" in {entry["written_by"]["backend"] for entry in entries}
    assert environment()["backend"] == "cpu"


@pytest.mark.parametrize("name", TABLE1_VARIANTS)
def test_shipped_model_predicts_the_intervened_variable_at_its_value(name, paper_config, tmp_path):
    """On 4 fresh test SCMs of its family, the intervened variable's predicted mean is the intervention value."""
    from activa.data.grn import NETWORK_FILES
    from activa.data.simulate import simulate_split

    small = cfg.deep_merge(paper_config, {"families": {name: {"splits": {"test": 4}}}})
    rng = np.random.default_rng(0)
    for net, (filename, _) in NETWORK_FILES.items():  # fixture networks under the real file names
        lines = [f"{net}R{r}\t{net}G{t}" for r in range(5) for t in rng.choice(40, 6, replace=False)]
        (tmp_path / filename).write_text("\n".join(lines) + "\n")
    networks = tmp_path if name == "sergio" else None
    _, truth = simulate_split(small, name, "test", progress=False, resources=networks)
    model = TrainedModel.pretrained(name)
    obs = truth.samples[:, np.flatnonzero(truth.target < 0)[0]]
    value = model.intervention_values[0]
    for scm in range(4):
        pred = model.predict(obs[scm], target=1, value_index=0, n_latents=10, seed=scm)
        assert np.isfinite(pred.samples).all()
        assert abs(pred.samples[:, 1].mean() - value) < 0.25, (name, scm, pred.samples.mean(axis=0))


def damaged_copy(tmp_path, name="gauss2"):
    """A copy of the manifest and of model ``name``'s files under tmp_path: (manifest, model file)."""
    entry = shipped.read_manifest()[name]
    manifest = tmp_path / "manifest.json"
    for key in ("file", "train_log"):
        (tmp_path / entry[key]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shipped.MANIFEST.parent / entry[key], tmp_path / entry[key])
    manifest.write_text(json.dumps({"format": shipped.FORMAT, "note": "", "models": {name: entry}}))
    return manifest, tmp_path / entry["file"]


def test_a_shipped_file_that_differs_from_its_manifest_is_refused(tmp_path):
    manifest, model = damaged_copy(tmp_path)
    shipped.verified("gauss2", manifest)  # intact copy: accepted
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"gauss2\.msgpack: SHA-256 [0-9a-f]{64} differs from the manifest's"):
        TrainedModel.pretrained("gauss2", manifest)
    with pytest.raises(DataError, match="no shipped model 'gauss9' \\(shipped: gauss2\\)"):
        shipped.verified("gauss9", manifest)


def test_a_truncated_model_file_gets_an_error_naming_it(tmp_path, root):
    model = tmp_path / "truncated.msgpack"
    data = (shipped.MANIFEST.parent / "v2/gauss2.msgpack").read_bytes()
    model.write_bytes(data[: len(data) // 3])
    size = f"{len(data) // 3:,}"  # the message's size, as it formats it
    with pytest.raises(DataError, match=r"truncated\.msgpack: not a readable activa model or checkpoint file "
                                        rf"\({size} bytes; truncated or corrupted\?"):
        TrainedModel.load(model)
    r = subprocess.run([sys.executable, "-m", "activa", "predict", "--config", str(root / "config/config.yaml"),
                        "--method", "activa", "--model", str(model), "--family", "gauss2",
                        "--data", str(tmp_path / "unused.parquet"), "--out", str(tmp_path / "pred.parquet")],
                       capture_output=True, text=True, cwd=root)
    assert r.returncode == 2
    assert f"activa predict: error: {model}: not a readable activa model or checkpoint file" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "pred.parquet").exists()


def pretrained_command(root, configs, out):
    return [sys.executable, "-m", "activa", "pretrained", *(x for c in configs for x in ("--config", str(c))),
            "--variant", "gauss2", "--manifest", str(shipped.MANIFEST), "--out-model", str(out / "model.msgpack"),
            "--out-log", str(out / "train_log.csv"), "--out-figures", str(out / "loss.png")]


def test_pretrained_stage_writes_what_train_would_and_refuses_another_config(tmp_path, root):
    paper = root / "config/config.yaml"
    out = tmp_path / "gauss2"
    r = subprocess.run(pretrained_command(root, [paper], out), capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stderr
    assert (out / "model.msgpack").read_bytes() == (shipped.MANIFEST.parent / "v2/gauss2.msgpack").read_bytes()
    assert len(pd.read_csv(out / "train_log.csv")) == shipped.read_manifest()["gauss2"]["steps"]
    assert (out / "loss.png").stat().st_size > 0
    smaller = tmp_path / "smaller.yaml"  # e.g. the smoke config's tiny Gauss 2 is not the shipped one
    smaller.write_text("activa: {variants: {gauss2: {e: 16}}}\n")
    r = subprocess.run(pretrained_command(root, [paper, smaller], tmp_path / "x"), capture_output=True, text=True,
                       cwd=root)
    assert r.returncode == 2
    assert "gauss2.msgpack: model 'gauss2' has model_config" in r.stderr
    assert "but activa.variants.gauss2 configures" in r.stderr and not (tmp_path / "x").exists()
