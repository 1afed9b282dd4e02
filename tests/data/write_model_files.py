"""Write the model-file fixtures of tests/test_model_files.py: tiny v2 and v1 models and their predictions.

    python tests/data/write_model_files.py      # in an environment installed from requirements/lock-cpu.txt
    python tests/data/write_model_files.py --expected-only   # keep the model files, predict again (after a
                                                             # change to inference's random stream)

Runs the real simulate and train stages on the smoke config (Gauss 2, a few steps), copies each model file to
tests/data/models/<variant>.msgpack and writes <variant>.expected.json: one query's observational samples and the
prediction (mixture weights, means, covariances, samples) under the JAX version that wrote the file. The test
then loads the files under whatever JAX runs it: the locked one, or another (the GPU image's), which is how a
model trained on one machine is shown to load and predict the same on another.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/data/models"
VARIANTS = ("gauss2", "v1model_gauss2")  # the v2 and v1 architectures, both trained on Gauss 2
N_LATENTS = 3
N_OBS = 30

sys.path.insert(0, str(ROOT / "benchmarks"))
from stage_command import run_stage  # noqa: E402  (the stages run as commands, as Snakemake runs them)

CONFIGS = [ROOT / "config/config.yaml", ROOT / "config/smoke.yaml"]


def expected_prediction(model_path: Path) -> dict:
    from activa.api import TrainedModel
    from activa.model.checkpoint import load

    _, meta = load(model_path)
    x = np.random.default_rng(7).normal(size=(N_OBS, 2)).round(6)
    pred = TrainedModel.load(model_path).predict(x, target=0, value_index=0, n_latents=N_LATENTS, seed=3)
    return {"written_by": meta["written_by"], "observational": x.tolist(), "target": 0, "value_index": 0,
            "n_latents": N_LATENTS, "seed": 3, **{k: np.asarray(v).tolist() for k, v in pred._asdict().items()}}


def main() -> None:
    if sys.argv[1:] == ["--expected-only"]:
        for variant in VARIANTS:
            model = OUT / f"{variant}.msgpack"
            (OUT / f"{variant}.expected.json").write_text(json.dumps(expected_prediction(model), indent=1) + "\n")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run_stage("simulate", CONFIGS, "--family", "gauss2", "--split", "train", "--out-samples", tmp / "train.samples.parquet",
              "--out-scms", tmp / "train.scms.parquet")
        for variant in VARIANTS:
            model = OUT / f"{variant}.msgpack"
            run_stage("train", CONFIGS, "--variant", variant, "--data", tmp / "train.samples.parquet",
                  "--checkpoint", tmp / f"{variant}.ckpt", "--out-model", model, "--out-log", tmp / f"{variant}.csv",
                  "--out-figures", tmp / f"{variant}.png")
            expected = json.dumps(expected_prediction(model), indent=1)
            (OUT / f"{variant}.expected.json").write_text(expected + "\n")
            print(f"{model.relative_to(ROOT)}: {model.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
