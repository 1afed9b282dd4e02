"""Pipeline configuration: YAML files merged in order, validated against ``config.schema.yaml``.

The schema (``workflow/schemas/config.schema.yaml``, shipped in the package as ``activa/config.schema.yaml``)
requires every key and forbids unknown ones, so a typo or a wrong type fails before any work starts, with
the dotted path of the offending key in the message.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml


# PyYAML's C parser (libyaml, in PyYAML's wheels) where present: the same objects as ``yaml.safe_load`` (the same
# constructor and resolver) about five times faster, which every stage's start pays for the config and the schema.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigError(ValueError):
    """A configuration file is missing, unreadable or does not match the schema."""


def read_yaml(text: str):
    """``yaml.safe_load(text)``, parsed by libyaml where PyYAML has it."""
    return yaml.load(text, Loader=_SafeLoader)


def schema() -> dict:
    """The JSON schema every configuration must satisfy."""
    return read_yaml(resources.files("activa").joinpath("config.schema.yaml").read_text())


def deep_merge(base: dict, update: dict) -> dict:
    """Recursively merge ``update`` into a copy of ``base`` (as Snakemake merges --configfile files)."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "<top level>"


def validate(config: dict, source: str = "config") -> dict:
    """Validate ``config`` against the schema; raise ``ConfigError`` naming the key on failure."""
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        raise ConfigError(f"{source}: invalid config key '{_key_path(error)}': {error.message}")
    return config


def load_config(paths: Iterable[str | Path]) -> dict:
    """Load and deep-merge YAML files (later files override earlier ones), then validate."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise ConfigError("no config file given (expected at least one --config FILE)")
    merged: dict[str, Any] = {}
    for path in paths:
        try:
            loaded = read_yaml(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level, got {type(loaded).__name__}")
        merged = deep_merge(merged, loaded)
    return validate(merged, source=" + ".join(str(p) for p in paths))


def lookup(config: dict, path: str):
    """The value at a dotted key path such as ``families.gauss2.label``; ``ConfigError`` names a missing key."""
    node, keys = config, path.split(".")
    for i, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            configured = f"; configured: {', '.join(map(str, node))}" if isinstance(node, dict) else ""
            raise ConfigError(f"config key '{'.'.join(keys[:i + 1])}' not found{configured}")
        node = node[key]
    return node


def subset(config: dict, paths: Iterable[str]) -> dict:
    """The part of ``config`` at the dotted key ``paths``, as a nested dict of copies.

    A stage receives this subset of the validated config: the keys it declares (``activa.cli.STAGES``),
    which are also its Snakemake rule's ``reads`` param, so a rule reruns exactly when what its stage reads
    changes. Reading an undeclared key raises ``KeyError``.
    """
    out: dict[str, Any] = {}
    for path in paths:
        value = lookup(config, path)
        *parents, last = path.split(".")
        node = out
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = copy.deepcopy(value)
    return out


def family(config: dict, name: str) -> dict:
    """The configuration of dataset family ``name``; ``ConfigError`` if it is not configured."""
    return lookup(config, f"families.{name}")
