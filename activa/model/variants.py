"""A configured ACTIVA variant (``activa.variants.<name>``): its model and training settings.

The v2 variants follow v2 Table 3, the v1 ones v1 Table 5 (see ``config/config.yaml``). |I|, the number of
intervention values, comes from the training family; a v1 model's pseudo-inputs get that family's n_vars.
"""

from __future__ import annotations

from activa import config as cfg
from activa.model.train import TrainConfig
from activa.model.v1 import ModelV1Config
from activa.model.v2 import ModelConfig

TRAINING_KEYS = ("grad_clip_norm", "steps_per_call", "checkpoint_every", "precision", "recipe")  # of activa.training


def model_config(config: dict, variant: str):
    """(ModelConfig or ModelV1Config, the variant's config spec): reads ``activa.variants.<variant>`` and the
    training family's ``n_vars`` and ``intervention_values``."""
    spec = cfg.lookup(config, f"activa.variants.{variant}")
    family = cfg.family(config, spec["train_on"])
    common = dict(n_values=len(family["intervention_values"]), heads=spec["heads"], K=spec["K"], e=spec["e"],
                  h=spec["h"], c=spec["c"], L=spec["L"], latent=spec["latent"], dropout=spec["dropout"])
    if spec["architecture"] == "v1":
        return ModelV1Config(**common, n_vars=family["n_vars"], pseudo_inputs=spec["pseudo_inputs"],
                             pseudo_samples=spec["pseudo_samples"]), spec
    return ModelConfig(**common, k=spec["k"]), spec


def train_keys(config: dict, variant: str) -> list[str]:
    """The dotted config keys ``variant_configs`` reads for ``variant`` (the train stage's and rule's ``reads``)."""
    family = cfg.lookup(config, f"activa.variants.{variant}")["train_on"]
    recipe = cfg.lookup(config, "activa.training.recipe")
    return [f"activa.variants.{variant}", *(f"activa.training.{key}" for key in TRAINING_KEYS),
            f"activa.recipes.{recipe}", f"families.{family}.n_vars", f"families.{family}.intervention_values"]


def variant_configs(config: dict, variant: str):
    """(ModelConfig or ModelV1Config, TrainConfig, the variant's config spec) of an ACTIVA variant.

    Reads what ``model_config`` reads (the variant's ``budget``, if not null, replaces ``epochs``), the
    ``TRAINING_KEYS`` of ``activa.training`` and the recipe they name (``activa.recipes.<recipe>``).
    """
    model_cfg, spec = model_config(config, variant)
    training = config["activa"]["training"]
    recipe = cfg.lookup(config, f"activa.recipes.{training['recipe']}")
    budget = spec["budget"] or {}
    train_cfg = TrainConfig(batch_size=spec["batch_size"], epochs=spec["epochs"], lr=spec["lr"], beta=spec["beta"],
                            seed=spec["seed"], regimes=spec["regimes"],
                            budget_steps=budget.get("steps"), budget_seconds=budget.get("seconds"),
                            schedule=budget.get("schedule", "constant"), warmup=budget.get("warmup", 0.0),
                            decay=budget.get("decay", 0.2), data=recipe["data"], ema=recipe["ema"],
                            **{key: training[key] for key in TRAINING_KEYS})
    return model_cfg, train_cfg, spec
