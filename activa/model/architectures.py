"""The two ACTIVA architectures by name: "v2" (activa.model.v2, the main target) and "v1" (activa.model.v1).

A model file's metadata holds ``architecture`` and ``model_config``; ``from_meta`` rebuilds the module.
Files written before v1 existed have no ``architecture`` and are v2.
"""

from __future__ import annotations

from activa.model.v1 import ActivaV1, ModelV1Config
from activa.model.v2 import ACTIVA, ModelConfig, compute_dtype

ARCHITECTURES = {"v2": (ACTIVA, ModelConfig), "v1": (ActivaV1, ModelV1Config)}


def name_of(model_cfg) -> str:
    """"v2" or "v1" for a ModelConfig or ModelV1Config."""
    for name, (_, config_type) in ARCHITECTURES.items():
        if type(model_cfg) is config_type:
            return name
    raise TypeError(f"not an ACTIVA model config: {type(model_cfg).__name__}")


def build(model_cfg, precision: str = "float32"):
    """The Flax module for a model config, computing its matrix products in ``precision`` (float32, bfloat16)."""
    return ARCHITECTURES[name_of(model_cfg)][0](model_cfg, dtype=compute_dtype(precision))


def config_from_meta(meta: dict, where: str):
    """The model config stored in a model file's metadata (``where`` names the file in errors)."""
    architecture = meta.get("architecture", "v2")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"{where}: unknown architecture {architecture!r}, expected one of {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[architecture][1](**meta["model_config"])
