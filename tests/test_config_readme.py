"""config/README.md documents every configuration key of the schema, and only those, with config.yaml's defaults.

The README's key tables (header ``| key | default | what it does |``) list one dotted key per row in backticks.
Maps whose keys are names chosen in the config (``additionalProperties`` / ``patternProperties``: families,
variants, ...) appear as a placeholder such as ``<family>``, array items as ``[]``. A key is a leaf when its
schema is not an object with named properties; rows may also document the objects above the leaves. A default
cell that is exactly one backticked YAML value is checked against config/config.yaml: a leaf without a
placeholder must have one (every key is required, so config.yaml sets each); for a key with a placeholder it must
equal every value config.yaml sets there; other cells (e.g. "per family") are prose.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
README = ROOT / "config/README.md"
CONFIG = ROOT / "config/config.yaml"

# the placeholder for the names of a map, by the map's own key; any other map gets <name>
PLACEHOLDERS = {"families": "<family>", "v1_tables": "<table>", "methods": "<method>", "hypotheses": "<hypothesis>",
                "generator_variants": "<setting>", "variants": "<variant>", "recipes": "<recipe>"}
ITEM = "[]"
HEADER = re.compile(r"^\|\s*key\s*\|\s*default\s*\|\s*what it does\s*\|\s*$")
KEY = re.compile(r"^`([^`\s]+)`$")
LITERAL = re.compile(r"^`([^`]+)`$")


def resolve(root: dict, node: dict) -> dict:
    """Follow local ``$ref``s (JSON pointers into the schema, e.g. ``#/$defs/v2_variant/properties/K``)."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/") and ref not in seen, f"unsupported or circular $ref {ref}"
        seen.add(ref)
        target = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        # keywords beside a $ref (e.g. a description) apply too; the target's win for structure
        node = {**{k: v for k, v in node.items() if k != "$ref"}, **target}
    return node


def branches(root: dict, node: dict):
    """The schema itself and every subschema that constrains the same value (if/then/else, *Of)."""
    node = resolve(root, node)
    yield node
    for key in ("then", "else", "if"):
        if isinstance(node.get(key), dict):
            yield from branches(root, node[key])
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key, []):
            yield from branches(root, sub)


def schema_keys(root: dict, node: dict, prefix: str = "", parent: str = "") -> tuple[set[str], set[str]]:
    """(every dotted key, the leaves) below ``node``; ``parent`` is the key that holds ``node``."""
    named, maps, items = {}, [], []
    for sub in branches(root, node):
        for name, child in sub.get("properties", {}).items():
            named.setdefault(name, []).append(child)
        for child in [sub.get("additionalProperties"), *sub.get("patternProperties", {}).values()]:
            if isinstance(child, dict):
                maps.append(child)
        if isinstance(sub.get("items"), dict):
            items.append(sub["items"])
    keys, leaves = set(), set()

    def descend(key: str, children: list[dict], holder: str):
        keys.add(key)
        sub_keys, sub_leaves = set(), set()
        for child in children:
            k, l = schema_keys(root, child, key, holder)
            sub_keys |= k
            sub_leaves |= l
        keys.update(sub_keys)
        leaves.update(sub_leaves or {key})

    for name, children in named.items():
        descend(f"{prefix}.{name}" if prefix else name, children, name)
    if maps:
        descend(f"{prefix}.{PLACEHOLDERS.get(parent, '<name>')}", maps, "")
    if items and not named and not maps:
        descend(f"{prefix}{ITEM}", items, parent)
    # an array whose items are scalars is itself the leaf
    if items and not any(schema_keys(root, i, "x", parent)[0] for i in items):
        keys.discard(f"{prefix}{ITEM}")
        leaves.discard(f"{prefix}{ITEM}")
    return keys, leaves


def readme_rows() -> dict[str, tuple[str, str]]:
    """key -> (default cell, description cell) of every row of the README's key tables."""
    rows, in_table, errors = {}, False, []
    for n, line in enumerate(README.read_text().splitlines(), 1):
        if HEADER.match(line):
            in_table = True
            continue
        if not in_table:
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        if re.match(r"^\|[\s:|-]+\|\s*$", line):
            continue  # the separator row
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        m = KEY.match(cells[0]) if len(cells) == 3 else None
        if not m:
            errors.append(f"config/README.md:{n}: a key row must read | `dotted.key` | default | what it does |")
            continue
        key, default, what = m.group(1), cells[1], cells[2]
        if key in rows:
            errors.append(f"config/README.md:{n}: key `{key}` is listed twice")
        if not what:
            errors.append(f"config/README.md:{n}: key `{key}` says nothing about what it does")
        rows[key] = (default, what)
    assert not errors, "\n".join(errors)
    return rows


def config_values(config, parts: list[str]):
    """Every value config.yaml sets at a dotted key, placeholders ranging over a map's names / a list's items."""
    nodes = [config]
    for part in parts:
        item = part.endswith(ITEM)
        name = part[:-len(ITEM)] if item else part
        nxt = []
        for node in nodes:
            if not isinstance(node, dict):
                continue
            if name.startswith("<") and name.endswith(">"):
                nxt.extend(node.values())
            elif name in node:
                nxt.append(node[name])
        if item:
            nxt = [x for value in nxt if isinstance(value, list) for x in value]
        nodes = nxt
    return nodes


def split(key: str) -> list[str]:
    return key.split(".")


@pytest.fixture(scope="module")
def schema():
    return yaml.safe_load(SCHEMA.read_text())


@pytest.fixture(scope="module")
def rows():
    return readme_rows()


def test_the_package_schema_is_the_workflow_schema():
    """The README describes workflow/schemas/config.schema.yaml; the package reads activa/config.schema.yaml."""
    assert (ROOT / "activa/config.schema.yaml").read_text() == SCHEMA.read_text()


def test_every_schema_key_is_documented(schema, rows):
    _, leaves = schema_keys(schema, schema)
    missing = sorted(leaves - rows.keys())
    assert not missing, ("config/README.md does not document these keys of workflow/schemas/config.schema.yaml: "
                         + ", ".join(missing))


def test_every_documented_key_is_in_the_schema(schema, rows):
    keys, _ = schema_keys(schema, schema)
    unknown = sorted(rows.keys() - keys)
    assert not unknown, ("config/README.md documents keys that workflow/schemas/config.schema.yaml does not have: "
                         + ", ".join(unknown))


def flow(value) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip().removesuffix("...").strip()
    return text if len(text) <= 120 else text[:117] + "..."


def test_documented_defaults_are_config_yaml_values(schema, rows):
    _, leaves = schema_keys(schema, schema)
    config = yaml.safe_load(CONFIG.read_text())
    errors = []
    for key, (default, _) in rows.items():
        placeholder = "<" in key or ITEM in key
        literal = LITERAL.match(default)
        values = config_values(config, split(key))
        if not literal:
            if key in leaves and not placeholder:
                errors.append(f"`{key}`: the default must be config.yaml's value as one backticked YAML value, "
                              f"`{flow(values[0])}`" if values else f"`{key}`: config/config.yaml sets no value")
            continue
        documented = yaml.safe_load(literal.group(1))
        if not values:
            errors.append(f"`{key}`: documented default {literal.group(1)} but config/config.yaml sets no value")
        elif any(v != documented for v in values):
            errors.append(f"`{key}`: documented default {literal.group(1)}, config/config.yaml has "
                          + ", ".join(sorted({flow(v) for v in values})))
    assert not errors, "config/README.md defaults disagree with config/config.yaml:\n" + "\n".join(errors)


def test_every_config_file_is_described():
    text = README.read_text()
    missing = [p.name for p in sorted((ROOT / "config").glob("*.yaml")) if f"`{p.name}`" not in text]
    assert not missing, "config/README.md does not describe " + ", ".join(missing)


def test_the_key_walk_sees_maps_items_and_branches(schema):
    """The walk itself: per-family maps, if/then/else branches, $ref pointers, arrays of objects, nullable objects."""
    keys, leaves = schema_keys(schema, schema)
    assert {"families.<family>.splits.train", "families.<family>.noise.scale", "families.<family>.half_response",
            "activa.variants.<variant>.pseudo_inputs", "activa.variants.<variant>.k",
            "activa.variants.<variant>.budget.decay", "table1.rows[].key",
            "v1_tables.<table>.rows[].methods.<method>", "metrics.mmd.unbiased",
            "references.truth_pooled.runs", "calibration.generator_variants.<setting>.noise.a_range"} <= leaves
    assert {"families.<family>", "metrics.mmd", "activa.variants.<variant>.budget"} <= keys - leaves
    assert "calibration.families" in leaves and "calibration.families[]" not in keys
