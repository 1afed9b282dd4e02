"""Conda env files, pyproject and the rules agree; a second DAG run on the same results/ is refused."""

import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import yaml

CONDA_NAMES = {"matplotlib-base": "matplotlib"}
NOT_IN_ENVS = {"snakemake"}  # the rules' envs run stages, not Snakemake itself


def requirement(spec: str) -> tuple[str, str]:
    """('numpy', '>=1.26') from 'numpy>=1.26' or 'numpy >=1.26' (extras dropped)."""
    m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*?)\s*", spec)
    name = CONDA_NAMES.get(m.group(1).lower(), m.group(1).lower())
    return name, m.group(3).replace(" ", "").split(",")[0]


def env_packages(path: Path) -> dict[str, str]:
    env = yaml.safe_load(path.read_text())
    out = {}
    for dep in env["dependencies"]:
        for spec in dep["pip"] if isinstance(dep, dict) else [dep]:
            name, bound = requirement(spec)
            if name not in ("python", "pip"):
                out[name] = bound
    return out


def test_env_files_list_pyprojects_packages_with_the_same_bounds(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    deps = dict(requirement(d) for d in project["dependencies"])
    expected = {k: v for k, v in deps.items() if k not in NOT_IN_ENVS}
    assert env_packages(root / "envs/activa.yaml") == expected
    gpu = dict(requirement(d) for d in project["optional-dependencies"]["gpu"])
    assert env_packages(root / "envs/activa-gpu.yaml") == {**expected, **gpu}


def test_every_rules_conda_env_exists(root):
    rules = sorted((root / "workflow/rules").glob("*.smk"))
    envs = [m for path in rules for m in re.findall(r'conda:\s*\n\s*"([^"]+)"', path.read_text())]
    assert envs and all((root / "workflow/rules" / e).resolve().exists() for e in envs)
    n_rules = sum(len(re.findall(r"^rule \w+:", p.read_text(), re.M)) for p in rules)
    assert len(envs) == n_rules


def test_profiles_are_valid_yaml_with_the_documented_settings(root):
    slurm = yaml.safe_load((root / "workflow/profiles/slurm/config.yaml").read_text())
    assert slurm["executor"] == "slurm" and slurm["retries"] >= 1 and slurm["rerun-incomplete"]
    default = yaml.safe_load((root / "workflow/profiles/default/config.yaml").read_text())
    assert default["resources"] == ["gpu=1"]


def test_a_second_run_on_the_same_directory_is_refused(tmp_path):
    (tmp_path / "Snakefile").write_text('rule slow:\n    output: "done"\n    shell: "sleep 20 && touch {output}"\n')
    first = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "1"], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        locks = tmp_path / ".snakemake" / "locks"
        for _ in range(200):
            if locks.exists() and any(locks.iterdir()):
                break
            time.sleep(0.1)
        second = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode != 0
        assert "Directory cannot be locked" in second.stdout + second.stderr
    finally:
        first.kill()
        first.wait()
    assert not (tmp_path / "done").exists()
