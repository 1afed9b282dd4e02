"""Model files written under the locked JAX load and predict the same under the JAX that runs the tests.

The fixtures (tests/data/models, written by tests/data/write_model_files.py under requirements/lock-cpu.txt)
carry the prediction their writer made. Under the lock this checks that loading and inference are
deterministic; under another JAX (e.g. the GPU image's) it is the cross-version check: the same parameters,
the same mixture, the same samples, to float32 rounding.
"""

import json

import numpy as np
import pytest

from activa.api import TrainedModel
from activa.model.checkpoint import environment, load

VARIANTS = ("gauss2", "v1model_gauss2")


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_model_file_from_the_locked_jax_predicts_what_it_predicted_when_written(root, variant):
    path = root / "tests/data/models" / f"{variant}.msgpack"
    expected = json.loads(path.with_name(f"{variant}.expected.json").read_text())
    _, meta = load(path)
    assert meta["written_by"] == expected["written_by"] and meta["written_by"]["backend"] == "cpu"
    model = TrainedModel.load(path)
    pred = model.predict(np.asarray(expected["observational"]), target=expected["target"],
                         value_index=expected["value_index"], n_latents=expected["n_latents"], seed=expected["seed"])
    for field in ("weights", "means", "covs", "samples"):
        np.testing.assert_allclose(getattr(pred, field), np.asarray(expected[field]), rtol=1e-4, atol=1e-5,
                                   err_msg=f"{variant}.{field}: written under JAX {expected['written_by']['jax']}, "
                                           f"read under JAX {environment()['jax']}")
    assert np.isfinite(pred.samples).all() and pred.samples.std(axis=0).min() > 0
