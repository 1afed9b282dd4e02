"""The GPU run that makes models/ (models/make/gpu_run.py, ship.py), rehearsed on the CPU at tiny size: simulate,
compile, concurrent training in bfloat16, the check call's two phases, warm-started continuation, packing the
logs, shipping with the lineage."""

import gzip
import io
import json
import subprocess
import sys
import tarfile

import numpy as np
import pandas as pd
import pytest

from activa.api import TrainedModel
from activa.model import shipped
from activa.model.checkpoint import read_trained

VARIANTS = ["gauss2", "v1_gaussian"]  # the smoke config's tiny v2 and v1 models


def run(root, script, *args):
    r = subprocess.run([sys.executable, str(root / "models" / "make" / script), *map(str, args)],
                       capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout


def summary_of(out):
    with tarfile.open(out / "logs.tar.gz") as tar:
        return json.load(tar.extractfile("logs/summary.json"))


@pytest.fixture(scope="module")
def rehearsal(root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gpu_run")
    configs = ["--config", root / "config/config.yaml", "--config", root / "config/smoke.yaml"]
    common = [*configs, "--work", tmp / "work", "--variants", *VARIANTS, "--precision", "bfloat16",
              "--recipe", "fresh", "--steps-per-call", 2]
    run(root, "gpu_run.py", "--out", tmp / "check", *common, "--check", "--check-train-s", 2, "--no-init",
        "--mode", "threads")  # the main call below: processes
    run(root, "ship.py", "--run", tmp / "check", "--to", tmp / "models", *configs, "--note", "rehearsal")
    first = json.loads((tmp / "models" / "manifest.json").read_text())
    stdout = run(root, "gpu_run.py", "--out", tmp / "main", *common, "--train-s", 10,
                 "--init-from", tmp / "models" / "manifest.json")
    run(root, "ship.py", "--run", tmp / "main", "--to", tmp / "models", *configs)
    return tmp, first, stdout


def test_the_check_call_measures_both_phases_and_leaves_its_splits(rehearsal):
    tmp, first, _ = rehearsal
    summary = summary_of(tmp / "check")
    assert summary["precision"] == "bfloat16" and summary["recipe"] == {"name": "fresh", "data": "fresh", "ema": None}
    assert set(summary["phases"]) == {"all", "table1"}
    assert set(summary["phases"]["all"]["variants"]) == set(VARIANTS)
    assert set(summary["phases"]["table1"]["variants"]) == {"gauss2"}  # the Table 1 variants alone
    for phase in summary["phases"].values():
        for result in phase["variants"].values():
            assert result["returncode"] == 0 and result["steps"] > 0 and result["steps"] % 2 == 0
            assert result["steps_per_s"] > 0 and result["flops_per_step"] > 0 and result["backend"] == "cpu"
        assert phase["aggregate"]["steps"] == sum(r["steps"] for r in phase["variants"].values())
    assert summary["ship"] == {"gauss2": "table1", "v1_gaussian": "all"}
    assert {f: r["how"] for f, r in summary["simulate"].items()} == {"gauss2": "simulated", "v1_gauss2": "simulated"}
    assert sorted(p.name for p in (tmp / "check").iterdir()) == ["logs.tar.gz", "models-1.tar"]
    assert sorted(first["models"]) == VARIANTS and first["note"] == "rehearsal"
    for entry in first["models"].values():
        (run_record,) = entry["lineage"]
        assert run_record["precision"] == "bfloat16" and run_record["recipe"]["data"] == "fresh"
        assert run_record["init_sha256"] is None and run_record["training_data"]["scms"] == "fresh"
        assert entry["total_steps"] == entry["steps"] == run_record["steps"]


def test_the_main_call_reuses_the_splits_continues_the_shipped_models_and_reports_its_training_share(rehearsal):
    tmp, first, stdout = rehearsal
    summary = summary_of(tmp / "main")
    assert {r["how"] for r in summary["simulate"].values()} == {"reused"}
    assert all(summary["init"][v].endswith(f"{v}.msgpack") for v in VARIANTS)
    main = summary["phases"]["main"]
    assert 0 < main["aggregate"]["train_share_min"] <= main["aggregate"]["train_share_mean"] < 1
    assert "main    gauss2" in stdout and "train_share_mean" in stdout
    for variant in VARIANTS:
        result = main["variants"][variant]
        assert result["total_steps"] == first["models"][variant]["total_steps"] + result["steps"]


def test_shipping_a_continued_model_extends_its_lineage_and_log(rehearsal, tmp_path):
    tmp, first, _ = rehearsal
    manifest = tmp / "models" / "manifest.json"
    models = shipped.read_manifest(manifest)
    assert json.loads(manifest.read_text())["note"] == "rehearsal"  # kept when --note is not given
    for variant in VARIANTS:
        entry, before = models[variant], first["models"][variant]
        path, log_path, _ = shipped.verified(variant, manifest)
        assert path == tmp / "models" / ("v2" if variant == "gauss2" else "v1") / f"{variant}.msgpack"
        earlier, latest = entry["lineage"]
        assert earlier == before["lineage"][0] and latest["init_sha256"] == before["sha256"]
        assert entry["total_steps"] == entry["steps"] == before["steps"] + latest["steps"]
        log = pd.read_csv(io.BytesIO(gzip.decompress(log_path.read_bytes())))
        assert log["step"].tolist() == list(range(1, entry["total_steps"] + 1))
        meta, _ = read_trained(path)
        assert meta["total_steps"] == entry["total_steps"] and len(meta["lineage"]) == 2
        model = TrainedModel.pretrained(variant, manifest)
        # its inference setting was chosen on the validation split as the pipeline chooses it, and is the default
        assert meta["inference"]["validation"]["scms"] == 8 and entry["inference"]["setting"] == model.setting.to_dict()
        obs = np.random.default_rng(0).normal(size=(20, 2))
        assert np.isfinite(model.predict(obs, target=0, value_index=0, n_latents=3).samples).all()
