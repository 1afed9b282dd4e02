"""The seam between Snakemake and the stages: every rule's params are exactly what its stage reads.

A stage receives only the config keys its ``activa.cli.STAGES`` entry declares (``config.subset``); each rule
hashes the same subset as its ``reads`` param, so Snakemake reruns a job when, and only when, something its
stage reads changes. Every other param must reach the shell command.
"""

import inspect
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

from activa import cli
from activa.config import ConfigError, load_config, lookup, subset


def workflow_jobs(root, configfile):
    """(config Snakemake validated, every job of the full DAG) for ``--configfile configfile``."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, ResourceSettings

    with SnakemakeApi(OutputSettings()) as api:
        workflow_api = api.workflow(resource_settings=ResourceSettings(cores=1),
                                    config_settings=ConfigSettings(configfiles=[configfile]),
                                    snakefile=root / "Snakefile", workdir=root)
        workflow_api.dag(dag_settings=DAGSettings(forceall=True))
        workflow = workflow_api._workflow  # the API has no public way to list a DAG's jobs with their params
        workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True)
        workflow._build_dag()
        return dict(workflow.config), list(workflow.dag.jobs)


def stage_command(shellcmd: str) -> list[str]:
    """The ``python -m activa`` arguments of a rule's shell command (without its ``2> log``)."""
    words = shlex.split(shellcmd.split(" 2> ")[0])
    assert words[:3] == ["python", "-m", "activa"], shellcmd
    return words[3:]


@pytest.mark.parametrize("configfile", ["config/smoke.yaml", "config/quick.yaml", "config/config.yaml"])
def test_every_rule_param_reaches_its_shell_command_or_is_what_its_stage_reads(root, configfile):
    config, jobs = workflow_jobs(root, root / configfile)
    checked = set()
    parser, stage_configs = cli.parser(), {}
    for job in jobs:
        if job.rule.name == "all":
            continue
        params = dict(job.params.items())
        template = job.rule.shellcmd
        unused = [name for name in params if name != "reads" and not re.search(rf"{{params\.{name}(:q)?}}", template)]
        assert not unused, f"rule {job.rule.name}: params {unused} reach neither the shell command nor the stage"
        assert "{params.reads}" not in template
        args = parser.parse_args(stage_command(job.shellcmd))
        files = tuple(root / path for path in args.config)
        if files not in stage_configs:  # the same files for every job: loaded and validated once
            stage_configs[files] = load_config(files)
        stage_config = stage_configs[files]
        assert stage_config == config, f"rule {job.rule.name}: the stage would see another config than Snakemake"
        assert params.get("reads") == cli.stage_reads(stage_config, args), (
            f"rule {job.rule.name} ({job.wildcards}): param 'reads' differs from what stage {args.stage} reads")
        checked.add(args.stage)
    unused = set() if config["activa"]["pretrained"]["variants"] else {"pretrained"}  # the paper trains all
    assert checked == set(cli.STAGES) - unused  # every stage has a rule in every config


def test_every_stage_function_takes_exactly_its_command_line_arguments():
    parser = cli.parser()
    subparsers = next(a for a in parser._actions if a.dest == "stage").choices
    for name, stage in cli.STAGES.items():
        dests = {a.dest for a in subparsers[name]._actions} - {"help", "config", "no_progress"}
        expected = {"config", *dests, *(["progress"] if stage.progress else [])}
        assert set(inspect.signature(stage.run).parameters) == expected, name


def test_a_stage_receives_only_the_keys_it_declares(smoke_config):
    part = subset(smoke_config, ["seed", "families.gauss2.label", "activa.inference.methods"])
    assert part == {"seed": 42, "families": {"gauss2": {"label": "Gauss 2"}},
                    "activa": {"inference": {"methods": {"activa": 3, "activa_1latent": 1}}}}
    with pytest.raises(KeyError):
        part["families"]["gauss2"]["generator"]
    part["families"]["gauss2"]["label"] = "changed"
    assert smoke_config["families"]["gauss2"]["label"] == "Gauss 2"  # copies, not views
    with pytest.raises(ConfigError, match=r"^config key 'families\.gauss3' not found; configured: gauss2, beta2, "):
        lookup(smoke_config, "families.gauss3.label")
    with pytest.raises(ConfigError, match=r"^config key 'activa\.variants\.nope' not found; configured: gauss2, "):
        subset(smoke_config, ["activa.variants.nope"])


def test_unknown_table_or_variant_exits_2_naming_the_key(root, tmp_path):
    base = [sys.executable, "-m", "activa"]
    cfg = ["--config", root / "config/config.yaml"]
    r = subprocess.run([*base, "table", *cfg, "--name", "table9", "--out-prefix", tmp_path / "t"], capture_output=True,
                       text=True)
    assert r.returncode == 2
    assert ("activa table: error: table: unknown table 'table9', expected table1, table1_references, latents or one "
            "of v1_tables (v1_table1, v1_table2, v1_table3, v1_table6, v1_vs_v2)") in r.stderr
    r = subprocess.run([*base, "train", *cfg, "--variant", "gauss3", "--data", tmp_path / "d", "--checkpoint",
                        tmp_path / "c", "--out-model", tmp_path / "m", "--out-log", tmp_path / "l", "--out-figures",
                        tmp_path / "f.png"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "activa train: error: config key 'activa.variants.gauss3' not found; configured: gauss2, beta2," in r.stderr
    assert list(tmp_path.iterdir()) == []


SPACED_TARGETS = ["results/calibration/metric_conventions.md", "results/metrics/baseline/gauss2.parquet",
                  "results/metrics/no_effect/gauss2.parquet"]


@pytest.fixture(scope="module")
def calibrated(root, tmp_path_factory):
    """A copy of the workflow in a folder whose path has a space, where the calibration report and Gauss 2's
    baseline and no_effect metrics (rules simulate, truth_pooled, baseline, reference, metrics) were made once, on
    the smoke config."""
    work = tmp_path_factory.mktemp("workflow") / "with space"
    work.mkdir()
    shutil.copy(root / "Snakefile", work)
    shutil.copytree(root / "workflow", work / "workflow")
    shutil.copytree(root / "config", work / "config")
    shutil.copytree(root / "envs", work / "envs")  # the rules name their conda env; Snakemake records it
    (work / "config/run.yaml").write_text((root / "config/smoke.yaml").read_text())
    r = snakemake(work, "--cores", "2", *SPACED_TARGETS)
    assert r.returncode == 0, r.stdout + r.stderr
    return work


def test_the_rules_run_from_a_folder_whose_path_has_a_space(calibrated):
    """Every path a rule hands to the shell is quoted: the absolute --configfile paths, the inputs and outputs."""
    assert " " in str(calibrated)
    assert all((calibrated / target).stat().st_size > 0 for target in SPACED_TARGETS)
    log = (calibrated / "results/logs/metrics/no_effect_gauss2.log").read_text()
    assert "error" not in log.lower(), log


def snakemake(work, *args):
    return subprocess.run([sys.executable, "-m", "snakemake", "--configfile", "config/run.yaml", *args], cwd=work,
                          capture_output=True, text=True)


def dry_run_after(work, change: dict) -> str:
    """Snakemake's dry run for the calibration report after merging ``change`` into config/run.yaml."""
    path = work / "config/run.yaml"
    original = path.read_text()
    path.write_text(yaml.safe_dump({**yaml.safe_load(original), **change}, sort_keys=False))  # order is a value too
    try:
        r = snakemake(work, "-n", "results/calibration/metric_conventions.md")
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout + r.stderr
    finally:
        path.write_text(original)


def test_calibrate_reruns_when_a_metric_convention_changes(calibrated):
    smoke_metrics = yaml.safe_load((calibrated / "config/run.yaml").read_text())["metrics"]
    out = dry_run_after(calibrated, {"metrics": {**smoke_metrics, "erg": {"form": "half", "unbiased": False}}})
    assert "rule calibrate:" in out and "Params have changed since last execution" in out
    out = dry_run_after(calibrated, {"seed": 7})
    assert "rule calibrate:" in out and "Params have changed since last execution" in out


def test_calibrate_does_not_rerun_for_settings_it_does_not_read(calibrated):
    assert "Nothing to be done" in dry_run_after(calibrated, {})
    smoke_activa = yaml.safe_load((calibrated / "config/run.yaml").read_text())["activa"]
    out = dry_run_after(calibrated, {"activa": {**smoke_activa, "inference": {"batch_size": 4}}})
    assert "Nothing to be done" in out, out
