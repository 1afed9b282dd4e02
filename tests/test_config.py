"""Configuration: every shipped config validates; unknown or ill-typed keys fail naming the key."""

import subprocess
import sys

import pytest
import yaml

from activa import config
from activa.config import ConfigError, load_config, read_yaml


@pytest.mark.parametrize("extra", [[], ["config/quick.yaml"], ["config/smoke.yaml"], ["config/pretrained.yaml"]])
def test_shipped_configs_validate(root, extra):
    config = load_config([root / "config/config.yaml", *[root / e for e in extra]])
    assert set(config["families"]) == {"gauss2", "beta2", "gauss8", "beta8", "sergio", "sergio_ood",
                                       "v1_gauss2", "v1_beta2", "v1_gauss8", "v1_beta8", "v1_sergio", "sachs", "sachs_n300"}


@pytest.mark.parametrize("path", ["config/config.yaml", "config/quick.yaml", "config/smoke.yaml",
                                  "config/paper_values.yaml", "activa/config.schema.yaml"])
def test_the_fast_yaml_parser_reads_what_pyyamls_safe_load_does(root, path):
    """Stages parse YAML with libyaml where PyYAML has it: the same values, types and key order as yaml.safe_load."""
    assert config._SafeLoader is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)
    text = (root / path).read_text()
    fast, safe = read_yaml(text), yaml.safe_load(text)
    assert fast == safe and repr(fast) == repr(safe)


def test_paper_scale_sizes(root):
    f = load_config([root / "config/config.yaml"])["families"]
    paper = lambda family: {k: v for k, v in f[family]["splits"].items() if k != "validation"}
    assert (paper("gauss2"), f["gauss2"]["samples_per_regime"]) == ({"train": 9000, "test": 1000}, 40)
    assert (paper("beta8"), f["beta8"]["samples_per_regime"]) == ({"train": 27000, "test": 3000}, 30)
    # v2 A.2.2: 15,000 simulations split 90/10, an OOD set of 1,800, 30 cells per condition
    assert (paper("sergio"), f["sergio"]["n_vars"]) == ({"train": 13500, "test": 1500}, 8)
    assert (paper("sergio_ood"), f["sergio_ood"]["n_vars"]) == ({"test": 1800}, 11)
    # v1 A.2: 11 genes in distribution too, the same simulator parameters
    assert (paper("v1_sergio"), f["v1_sergio"]["n_vars"]) == ({"train": 13500, "test": 1500}, 11)
    # ours: every family has a validation split of 300 SCMs (inference settings are chosen on it)
    # ours: every simulated family has a validation split of 300 SCMs (inference settings are chosen on it); the real
    # family Sachs has draws of its cells to test on only
    simulated = [family for family, spec in f.items() if spec["generator"] != "sachs"]
    assert {k: v for k, v in f["sachs_n300"].items() if k not in ("label", "samples_per_regime", "splits")} == \
        {k: v for k, v in f["sachs"].items() if k not in ("label", "samples_per_regime", "splits")}
    assert {family: f[family]["splits"]["validation"] for family in simulated} == {family: 300 for family in simulated}
    assert f["sachs"]["splits"] == {"test": 200} and f["sachs"]["samples_per_regime"] == 30
    same = {k: v for k, v in f["sergio"].items() if k not in ("label", "n_vars")}
    assert same == {k: v for k, v in f["v1_sergio"].items() if k not in ("label", "n_vars")}


def test_a_sergio_family_is_checked_against_the_sergio_schema(root, tmp_path):
    bad = write(tmp_path, "families:\n  sergio: {half_response: sometimes}\n")
    with pytest.raises(ConfigError, match=r"invalid config key 'families.sergio.half_response': 'sometimes' is "
                                          r"not one of \['per_condition', 'observational'\]"):
        load_config([root / "config/config.yaml", bad])


def write(tmp_path, text):
    path = tmp_path / "override.yaml"
    path.write_text(text)
    return path


def test_unknown_key_is_named(root, tmp_path):
    bad = write(tmp_path, "families:\n  gauss2:\n    edge_probability: 0.3\n")
    with pytest.raises(ConfigError, match=r"invalid config key 'families\.gauss2': Additional properties are not "
                                          r"allowed \('edge_probability' was unexpected\)"):
        load_config([root / "config/config.yaml", bad])


def test_ill_typed_key_is_named(root, tmp_path):
    bad = write(tmp_path, "families:\n  beta8:\n    splits: {train: many, test: 3}\n")
    with pytest.raises(ConfigError, match=r"invalid config key 'families\.beta8\.splits\.train': 'many' is not of type 'integer'"):
        load_config([root / "config/config.yaml", bad])


def test_a_training_budget_is_steps_or_seconds_with_a_known_schedule(root, tmp_path):
    good = write(tmp_path, "activa: {variants: {gauss8: {budget: {seconds: 60, schedule: cosine, warmup: 0.05}}}}\n")
    assert load_config([root / "config/config.yaml", good])["activa"]["variants"]["gauss8"]["budget"]["seconds"] == 60
    both = write(tmp_path, "activa: {variants: {gauss8: {budget: {steps: 9, seconds: 6, schedule: cosine, "
                           "warmup: 0}}}}\n")
    with pytest.raises(ConfigError, match=r"invalid config key 'activa\.variants\.gauss8\.budget': .* is not valid "
                                          r"under any of the given schemas"):
        load_config([root / "config/config.yaml", both])
    unknown = write(tmp_path, "activa: {variants: {gauss8: {budget: {steps: 9, schedule: step, warmup: 0}}}}\n")
    with pytest.raises(ConfigError, match=r"'step' is not one of \['cosine', 'linear', 'wsd', 'constant'\]"):
        load_config([root / "config/config.yaml", unknown])


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match=r"nothere\.yaml: config file not found"):
        load_config([tmp_path / "nothere.yaml"])
    with pytest.raises(ConfigError, match=r"override\.yaml: not valid YAML"):
        load_config([write(tmp_path, "a: [1,\n")])


def test_snakemake_rejects_bad_config_before_any_job(root, tmp_path):
    bad = write(tmp_path, yaml.safe_dump({"metrics": {"mmd": {"squared": "yes"}}}))
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", str(bad)], cwd=root, capture_output=True, text=True)
    assert result.returncode != 0
    assert "squared" in result.stdout + result.stderr
    assert "is not of type 'boolean'" in result.stdout + result.stderr


def test_a_baseline_hypothesis_names_a_query_none_or_a_number(root, tmp_path):
    good = write(tmp_path, "calibration: {baseline_hypotheses: {hypotheses: {at_2: {condition_on: 2.0, set_to: none, "
                           "truth: observational}}}}\n")
    spec = load_config([root / "config/config.yaml", good])["calibration"]["baseline_hypotheses"]["hypotheses"]
    assert spec["at_2"] == {"condition_on": 2.0, "set_to": "none", "truth": "observational"}
    bad = write(tmp_path, "calibration: {baseline_hypotheses: {hypotheses: {x: {condition_on: zero, set_to: query, "
                          "truth: interventional}}}}\n")
    with pytest.raises(ConfigError, match=r"invalid config key 'calibration\.baseline_hypotheses\.hypotheses\.x\."
                                          r"condition_on': 'zero' is not valid under any of the given schemas"):
        load_config([root / "config/config.yaml", bad])
