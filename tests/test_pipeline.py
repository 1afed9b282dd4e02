"""The stages end to end through the CLI (no Snakemake), on the smoke config, and their error reporting."""

import dataclasses
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from activa.data import format
from activa.eval import scoring, spread
from activa.model import checkpoint
from conftest import activa, simulate_files


@pytest.fixture(scope="module")
def run(tmp_path_factory, root):
    ROOT = root
    out = tmp_path_factory.mktemp("pipeline")
    cfg = ["--config", ROOT / "config/config.yaml", "--config", ROOT / "config/smoke.yaml"]
    for family in ("gauss2", "beta8"):
        simulate_files(ROOT, cfg, family, "test", out / f"{family}.samples.parquet", out / f"{family}.scms.parquet")
        r = activa(ROOT, "truth-pooled", *cfg, "--family", family, "--data", out / f"{family}.samples.parquet",
                   "--scms", out / f"{family}.scms.parquet", "--out", out / f"{family}.pooled.parquet", "--no-progress",
                   "--out-means", out / f"{family}.means.parquet", "--out-floor", out / f"{family}.floor.csv")
        assert r.returncode == 0, r.stderr
        r = activa(ROOT, "baseline", *cfg, "--family", family, "--data", out / f"{family}.samples.parquet",
                   "--out", out / f"{family}.pred.parquet")
        assert r.returncode == 0, r.stderr
        r = activa(ROOT, "metrics", *cfg, "--family", family, "--method", "baseline", "--no-progress",
                   "--truth", out / f"{family}.samples.parquet", "--pred", out / f"{family}.pred.parquet",
                   "--means", out / f"{family}.means.parquet", "--out", out / f"{family}.metrics.parquet")
        assert r.returncode == 0, r.stderr
    r = activa(ROOT, "table", *cfg, "--name", "table1", "--metrics", out / "gauss2.metrics.parquet",
               out / "beta8.metrics.parquet", "--out-prefix", out / "table1")
    assert r.returncode == 0, r.stderr
    return ROOT, out, cfg


@pytest.fixture(scope="module")
def trained(run):
    """The smoke config's tiny gauss2 variant trained, predicted with both methods and scored."""
    root, out, cfg = run
    simulate_files(root, cfg, "gauss2", "train", out / "gauss2.train.parquet", out / "gauss2.train.scms.parquet")
    r = activa(root, "train", *cfg, "--variant", "gauss2", "--data", out / "gauss2.train.parquet", "--no-progress",
               "--checkpoint", out / "ck.msgpack", "--out-model", out / "trained.msgpack", "--out-log",
               out / "train_log.csv", "--out-figures", out / "loss.png", out / "loss.pdf")
    assert r.returncode == 0, r.stderr
    simulate_files(root, cfg, "gauss2", "validation", out / "gauss2.validation.parquet", out / "gauss2.validation.scms.parquet")
    # every dropout mode a candidate (the configs choose between off and decoder): the stage scores each of them
    every_mode = out / "every_mode.yaml"
    every_mode.write_text('activa:\n  inference:\n    select: {dropout: ["off", decoder, all]}\n')
    r = activa(root, "select-inference", *cfg, "--config", every_mode, "--model", out / "trained.msgpack", "--data",
               out / "gauss2.validation.parquet", "--n-latents", 3, "--out-model", out / "model.msgpack",
               "--out-table", out / "inference.csv", "--no-progress")
    assert r.returncode == 0, r.stderr
    for method, n_latents in (("activa", 3), ("activa_1latent", 1)):  # the smoke config's activa.inference
        r = activa(root, "predict", *cfg, "--method", method, "--model", out / "model.msgpack", "--family", "gauss2",
                   "--data", out / "gauss2.samples.parquet", "--out", out / f"{method}.pred.parquet", "--no-progress",
                   "--n-latents", n_latents)
        assert r.returncode == 0, r.stderr
        r = activa(root, "metrics", *cfg, "--family", "gauss2", "--method", method, "--no-progress",
                   "--truth", out / "gauss2.samples.parquet", "--pred", out / f"{method}.pred.parquet",
                   "--means", out / "gauss2.means.parquet", "--out", out / f"{method}.metrics.parquet")
        assert r.returncode == 0, r.stderr
    return root, out, cfg


def test_predictions_cover_every_interventional_regime(run):
    _, out, _ = run
    truth = format.read_samples(out / "beta8.samples.parquet")
    pred = format.read_samples(out / "beta8.pred.parquet")
    assert pred.samples.shape == (12, 8, 12, 8)
    assert np.array_equal(pred.regime, truth.regime[1:]) and np.array_equal(pred.target, np.arange(8))
    assert pred.meta["method"] == "baseline"
    for r, t in enumerate(pred.target):
        assert (pred.samples[:, r, :, t] == 5.0).all()


def test_metrics_rows_and_determinism(run, tmp_path):
    root, out, cfg = run
    frame, meta = scoring.read_metrics(out / "gauss2.metrics.parquet")
    assert len(frame) == 16 * 2 and list(frame.columns) == [
        "scm", "regime", "target", "value_index", *scoring.METRIC_COLUMNS, *dict(scoring.EFFECT_COLUMNS),
        "energy_score", *spread.SPREAD_COLUMNS, *spread.PIT_COLUMNS]
    # every true sample of the non-target variable has its PIT counted; the baseline sets V_t exactly
    assert (frame[list(spread.PIT_COLUMNS)].sum(axis=1) == 40).all() and (frame.spread_pred_target == 0).all()
    assert ((frame.desc_n + frame.nondesc_n) == 1).all()  # d = 2: one non-target per pair
    assert meta["method"] == "baseline" and meta["family"] == "gauss2"
    assert (frame.mmd >= 0).all() and (frame.p_value.between(0, 1)).all()
    again = tmp_path / "again.parquet"
    r = activa(root, "metrics", *cfg, "--family", "gauss2", "--method", "baseline", "--no-progress",
               "--truth", out / "gauss2.samples.parquet", "--pred", out / "gauss2.pred.parquet",
               "--means", out / "gauss2.means.parquet", "--out", again)
    assert r.returncode == 0
    assert again.read_bytes() == (out / "gauss2.metrics.parquet").read_bytes()


def test_table1_has_the_paper_layout(run):
    _, out, _ = run
    table = pd.read_csv(out / "table1.csv")
    assert table["data"].tolist() == ["Gauss 2", "Beta 2", "Gauss 8", "Beta 8", "SERGIO", "OOD"]
    assert table.set_index("key").loc[["gauss2", "beta8"], "baseline_mmd"].notna().all()
    assert table.set_index("key").loc[["beta2", "gauss8", "sergio", "sergio_ood"], "baseline_mmd"].isna().all()
    assert table.filter(like="activa_").drop(columns="activa_pairs").isna().all().all()


def test_effect_cells_match_the_effects_stage(run, tmp_path):
    root, out, cfg = run
    r = activa(root, "effects", *cfg, "--family", "beta8", "--scms", out / "beta8.scms.parquet", "--truth",
               out / "beta8.samples.parquet", "--means", out / "beta8.means.parquet", "--pred",
               out / "beta8.pred.parquet", "--out-prefix", tmp_path / "beta8")
    assert r.returncode == 0, r.stderr
    errors = pd.read_csv(tmp_path / "beta8.csv").set_index(["method", "relation"])["mean_abs_error"]
    table = pd.read_csv(out / "table1.csv").set_index("key")
    assert table.at["beta8", "baseline_desc"] == pytest.approx(errors[("baseline", "descendant")], rel=1e-5)
    assert table.at["beta8", "baseline_nondesc"] == pytest.approx(errors[("baseline", "non-descendant")], rel=1e-5)
    assert table.at["beta8", "baseline_desc_lo"] < table.at["beta8", "baseline_desc"] < table.at["beta8",
                                                                                                 "baseline_desc_hi"]
    means = format.read_means(out / "beta8.means.parquet")
    assert means.meta["source"] == "closed form" and means.mean.shape == (12, 9, 8)


def test_paper_baseline_is_the_baseline_queried_at_0(run, tmp_path):
    root, out, cfg = run
    r = activa(root, "paper-baseline", *cfg, "--family", "gauss2", "--data", out / "gauss2.samples.parquet",
               "--out", tmp_path / "p.parquet")
    assert r.returncode == 0, r.stderr
    pred = format.read_samples(tmp_path / "p.parquet")
    assert pred.meta["method"] == "paper_baseline" and pred.meta["hypothesis"] == "query_at_0"
    for r, t in enumerate(pred.target):
        assert (pred.samples[:, r, :, t] == 0.0).all()
    pooled = pd.read_csv(out / "gauss2.floor.csv")
    assert pooled.at[0, "runs"] == 20 and pooled.at[0, "n_samples"] == 40


def test_training_writes_model_log_and_figures_and_drops_the_checkpoint(trained):
    _, out, _ = trained
    log = pd.read_csv(out / "train_log.csv")
    # smoke: 20 SCMs, batch 8 -> 3 steps per epoch, 2 epochs
    assert log["step"].tolist() == list(range(1, 7)) and np.isfinite(log["loss"]).all()
    assert (out / "model.msgpack").exists() and (out / "loss.png").stat().st_size > 0
    assert (out / "loss.pdf").read_bytes().startswith(b"%PDF")
    assert not (out / "ck.msgpack").exists()


def test_activa_predictions_match_the_truth_layout(trained):
    _, out, _ = trained
    truth = format.read_samples(out / "gauss2.samples.parquet")
    for method, n_latents in (("activa", 3), ("activa_1latent", 1)):
        pred = format.read_samples(out / f"{method}.pred.parquet")
        assert pred.samples.shape == (16, 2, 40, 2)
        assert np.array_equal(pred.regime, truth.regime[1:]) and np.array_equal(pred.target, [0, 1])
        assert pred.meta["method"] == method and pred.meta["n_latents"] == n_latents
        assert pred.meta["variant"] == "gauss2"



def test_select_inference_chooses_a_setting_on_the_validation_split(trained, tmp_path):
    """The model file gets the chosen setting and every candidate's validation scores; predict uses the setting;
    the same file selected again is not scored again and gives the same bytes; a named setting is taken as is."""
    root, out, cfg = trained
    table = pd.read_csv(out / "inference.csv")
    assert table["name"].tolist() == ["off", "off_scaled", "decoder", "decoder_scaled", "all", "all_scaled"]
    assert table["chosen"].sum() == 1 and (table["variant"] == "gauss2").all() and (table["family"] == "gauss2").all()
    assert (table.loc[[0, 2, 4], ["scale_target", "scale_other"]] == 1.0).all(axis=None)
    assert (table["energy_score_lo"] <= table["energy_score"]).all() and table["p_vs_default"].iloc[1:].notna().all()
    _, meta = checkpoint.load(out / "model.msgpack")
    chosen = table[table["chosen"]].iloc[0]
    assert meta["inference"]["setting"] == {"dropout": chosen["dropout"], "scale_target": chosen["scale_target"],
                                            "scale_other": chosen["scale_other"]}
    assert meta["inference"]["validation"] == {"file": "gauss2.validation.parquet", "family": "gauss2", "scms": 8,
                                               "pairs": 16}
    assert format.read_samples(out / "activa.pred.parquet").meta["inference"] == meta["inference"]["setting"]
    every_mode = ["--config", out / "every_mode.yaml"]
    r = activa(root, "select-inference", *cfg, *every_mode, "--model", out / "model.msgpack", "--data",
               out / "gauss2.validation.parquet", "--n-latents", 3, "--out-model", tmp_path / "again.msgpack",
               "--out-table", tmp_path / "again.csv", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "candidates scored as stored in" in r.stderr
    assert (tmp_path / "again.msgpack").read_bytes() == (out / "model.msgpack").read_bytes()
    assert (tmp_path / "again.csv").read_bytes() == (out / "inference.csv").read_bytes()
    named = tmp_path / "off.yaml"
    named.write_text("activa:\n  inference:\n    setting: decoder_scaled\n")
    r = activa(root, "select-inference", *cfg, *every_mode, "--config", named, "--model", out / "model.msgpack",
               "--data", out / "gauss2.validation.parquet", "--n-latents", 3, "--out-model", tmp_path / "named.msgpack",
               "--out-table", tmp_path / "named.csv", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert pd.read_csv(tmp_path / "named.csv").set_index("name")["chosen"].idxmax() == "decoder_scaled"
    assert checkpoint.load(tmp_path / "named.msgpack")[1]["inference"]["choice"] == "decoder_scaled"


def test_a_model_without_dropout_has_one_inference_mode(trained, tmp_path):
    """A dropout-free model (a fine-tune) has one network: only 'off' and its scale are candidates, and a named
    dropout mode is refused naming the key."""
    root, out, cfg = trained
    tree, meta = checkpoint.load(out / "trained.msgpack")
    checkpoint.save(tmp_path / "nodrop.msgpack", tree, {**meta, "model_config": {**meta["model_config"], "dropout": 0.0}})
    r = activa(root, "select-inference", *cfg, "--model", tmp_path / "nodrop.msgpack", "--data",
               out / "gauss2.validation.parquet", "--n-latents", 3, "--out-model", tmp_path / "m.msgpack",
               "--out-table", tmp_path / "t.csv", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert pd.read_csv(tmp_path / "t.csv")["name"].tolist() == ["off", "off_scaled"]
    named = tmp_path / "decoder.yaml"
    named.write_text("activa:\n  inference:\n    setting: decoder\n")
    r = activa(root, "select-inference", *cfg, "--config", named, "--model", tmp_path / "m.msgpack", "--data",
               out / "gauss2.validation.parquet", "--n-latents", 3, "--out-model", tmp_path / "named.msgpack",
               "--out-table", tmp_path / "named.csv", "--no-progress")
    assert r.returncode == 2
    assert ("activa.inference.setting: 'decoder' is not among the candidates (off, off_scaled) "
            "(activa.inference.select.dropout; a model trained without dropout has only 'off')") in r.stderr
    assert not (tmp_path / "named.msgpack").exists()


def test_select_inference_refuses_a_split_other_than_validation(trained, tmp_path):
    root, out, cfg = trained
    r = activa(root, "select-inference", *cfg, "--model", out / "trained.msgpack", "--data",
               out / "gauss2.samples.parquet", "--n-latents", 3, "--out-model", tmp_path / "m.msgpack",
               "--out-table", tmp_path / "t.csv", "--no-progress")
    assert r.returncode == 2
    assert (f"{out / 'gauss2.samples.parquet'}: metadata 'split' is 'test', but the split select-inference chooses "
            "on is 'validation'") in r.stderr
    assert not list(tmp_path.iterdir())


def test_calibration_and_settings_tables(trained, tmp_path):
    root, out, cfg = trained
    r = activa(root, "density", *cfg, "--family", "gauss2", "--model", out / "model.msgpack", "--data",
               out / "gauss2.samples.parquet", "--n-latents", 3, "--out", tmp_path / "density.parquet", "--no-progress")
    assert r.returncode == 0, r.stderr
    density = pd.read_parquet(tmp_path / "density.parquet")
    assert density["scm"].nunique() == 3 and len(density) == 6 and np.isfinite(density["nll"]).all()  # smoke: 3 SCMs
    r = activa(root, "calibration-table", *cfg, "--metrics", out / "gauss2.metrics.parquet",
               out / "activa.metrics.parquet", out / "activa_1latent.metrics.parquet", "--densities",
               tmp_path / "density.parquet", "--out-prefix", tmp_path / "calibration", "--out-figures",
               tmp_path / "c.png", tmp_path / "c.pdf")
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(tmp_path / "calibration.csv")
    assert table["method"].tolist() == ["baseline", "activa", "activa_1latent"] and (table["pairs"] == 32).all()
    assert table["nll"].notna().tolist() == [False, True, False] and table["nll_scms"].tolist() == [0, 3, 0]
    assert table.loc[1, "nll"] == pytest.approx(density.groupby("scm")["nll"].mean().mean())
    assert table[["energy_score", "spread_other", "coverage50", "coverage90"]].notna().all(axis=None)
    assert table["spread_target"].iloc[0] == 0  # the baseline sets V_t exactly; the truth has its jitter
    assert table[list(spread.PIT_COLUMNS)].sum(axis=1).tolist() == [16 * 2 * 40] * 3
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF") and (tmp_path / "c.png").stat().st_size > 0
    assert "| Gauss 2 | baseline | 16 |" in (tmp_path / "calibration.md").read_text()
    r = activa(root, "settings-table", *cfg, "--tables", out / "inference.csv", "--out-prefix", tmp_path / "settings")
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "settings.md").read_text()
    assert text.count("(chosen)") == 1 and "| gauss2 | Gauss 2 | " in text


def test_predict_without_n_latents_uses_the_model_config(trained, tmp_path):
    """No --n-latents: the latents per query come from the model file's config (v2 section 6.1: 50)."""
    root, out, cfg = trained
    r = activa(root, "predict", *cfg, "--method", "activa", "--model", out / "model.msgpack", "--family", "gauss2",
               "--data", out / "gauss2.samples.parquet", "--out", tmp_path / "p.parquet", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert format.read_samples(tmp_path / "p.parquet").meta["n_latents"] == 50
    assert format.read_samples(tmp_path / "p.parquet").samples.shape == (16, 2, 40, 2)


def test_predict_refuses_samples_that_overflow_float32(trained, tmp_path):
    """Finite samples the model cannot compute with (float32 overflows) are an error naming the file and the
    entry, and nothing is written."""
    root, out, cfg = trained
    truth = format.read_samples(out / "gauss2.samples.parquet")
    samples = truth.samples.copy()
    samples[3, 0, 5, 1] = 1e30
    format.write_samples(tmp_path / "big.parquet", dataclasses.replace(truth, samples=samples), truth.meta)
    r = activa(root, "predict", *cfg, "--method", "activa", "--model", out / "model.msgpack", "--family", "gauss2",
               "--data", tmp_path / "big.parquet", "--n-latents", "3", "--out", tmp_path / "p.parquet", "--no-progress")
    assert r.returncode == 2
    assert (f"{tmp_path / 'big.parquet'}: observational samples: 1e+30 at SCM 3, sample 5, variable 1: expected "
            "finite values of magnitude at most 1e+18") in r.stderr
    assert not (tmp_path / "p.parquet").exists()


def test_tables_put_each_method_in_its_column_group(trained, tmp_path):
    root, out, cfg = trained
    r = activa(root, "table", *cfg, "--name", "table1", "--metrics", out / "gauss2.metrics.parquet",
               out / "activa.metrics.parquet", "--out-prefix", tmp_path / "table1")
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(tmp_path / "table1.csv").set_index("key")
    assert table.loc["gauss2", ["activa_mmd", "baseline_mmd"]].notna().all()
    assert table.loc["gauss2", "activa_pairs"] == 32
    r = activa(root, "table", *cfg, "--name", "latents", "--metrics", out / "activa.metrics.parquet",
               out / "activa_1latent.metrics.parquet", "--out-prefix", tmp_path / "latents")
    assert r.returncode == 0, r.stderr
    assert "| Data | ACTIVA, 3 latents MMD |" in (tmp_path / "latents.md").read_text()
    r = activa(root, "table", *cfg, "--name", "table1", "--metrics", out / "activa_1latent.metrics.parquet",
               "--out-prefix", tmp_path / "bad")
    assert r.returncode == 2
    assert ("activa_1latent.metrics.parquet: method 'activa_1latent' is not a column of table table1 "
            "(expected activa, baseline)") in r.stderr
    assert not list(tmp_path.glob("bad*"))


def test_the_readme_python_example_runs(root):
    """The README's API example runs as printed, with the shipped Gauss 2 model, and the model tells the edge's
    direction: do(V_0 = 5) moves V_1, do(V_1 = 5) leaves V_0 at its mean 0 (conditioning would put it at 2.2)."""
    block = re.findall(r"```python\n(.*?)```", (root / "README.md").read_text(), re.S)[0]
    assert 'TrainedModel.pretrained("gauss2")' in block
    r = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, cwd=root.parent)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "(5.0,) (40, 2) (50,) (50, 2) (50, 2, 2)"
    do_v0 = [float(x) for x in lines[1].split("[")[1].strip(" ]").split()]
    do_v1 = [float(x) for x in lines[2].split("[")[1].strip(" ]").split()]
    assert abs(do_v0[0] - 5) < 0.1 and do_v0[1] > 6  # V_1 = 1.5 V_0 + noise
    assert abs(do_v1[1] - 5) < 0.1 and abs(do_v1[0]) < 0.5


def test_bad_data_file_exits_2_naming_the_file(run, tmp_path):
    root, out, cfg = run
    r = activa(root, "metrics", *cfg, "--family", "gauss2", "--method", "baseline", "--truth",
               out / "gauss2.samples.parquet", "--pred", out / "beta8.pred.parquet", "--means",
               out / "gauss2.means.parquet", "--out", tmp_path / "m.parquet")
    assert r.returncode == 2
    assert (f"{out / 'beta8.pred.parquet'}: metadata 'family' is 'beta8' (8 variables), but --family is 'gauss2'"
            in r.stderr)
    assert not (tmp_path / "m.parquet").exists()


def test_bad_config_exits_2_naming_the_key(run, tmp_path):
    root, out, _ = run
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: -3\n")
    r = activa(root, "simulate", "--config", root / "config/config.yaml", "--config", bad, "--family", "gauss2",
               "--split", "test", "--out-samples", tmp_path / "s.parquet", "--out-scms", tmp_path / "m.parquet")
    assert r.returncode == 2
    assert "invalid config key 'seed': -3 is less than the minimum of 0" in r.stderr
    assert list(tmp_path.iterdir()) == [bad]


def test_sergio_family_through_the_cli(run, tmp_path):
    """simulate -> baseline on a SERGIO family, with fixture networks under the real file names."""
    from activa.data.grn import NETWORK_FILES

    root, _, cfg = run
    nets = tmp_path / "grn"
    nets.mkdir()
    rng = np.random.default_rng(0)
    for name, (filename, _) in NETWORK_FILES.items():
        lines = [f"{name}R{r}\t{name}G{t}" for r in range(5) for t in rng.choice(40, 6, replace=False)]
        (nets / filename).write_text("\n".join(lines) + "\n")
    r = activa(root, "simulate", *cfg, "--family", "sergio_ood", "--split", "test", "--no-progress", "--networks", nets,
               "--out-samples", tmp_path / "s.parquet", "--out-scms", tmp_path / "m.parquet", "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert "simulate sergio_ood/test: mean expression" in r.stderr
    truth = format.read_samples(tmp_path / "s.parquet")
    assert truth.samples.shape == (6, 12, 10, 11) and (truth.samples >= 0).all()
    for t in range(11):  # regime 1 + t knocks out gene t: exactly zero
        assert (truth.samples[:, 1 + t, :, t] == 0).all() and truth.value[1 + t] == 0
    scms = format.read_scms(tmp_path / "m.parquet")
    assert scms.meta["noise_param_names"] == ["basal_0", "decay", "hill", "noise"]
    r = activa(root, "baseline", *cfg, "--family", "sergio_ood", "--data", tmp_path / "s.parquet",
               "--out", tmp_path / "p.parquet")
    assert r.returncode == 0, r.stderr
    r = activa(root, "simulate", *cfg, "--family", "sergio", "--split", "test", "--out-samples", tmp_path / "x",
               "--out-scms", tmp_path / "y")
    assert r.returncode == 2
    assert "family 'sergio' is a SERGIO family and needs --resources DIR (the network files, stage networks)" in r.stderr
