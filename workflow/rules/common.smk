import json
import os
import shlex
import sys

sys.path.insert(0, workflow.basedir)  # the registry of reference methods and of family kinds, from this checkout
from activa.data.families import RESOURCES, kind_of, resource_dir, resource_files
from activa.eval.methods import registry

# Shared helpers of the rules: how stages get the config, which families exist, resource estimates.

if workflow.config_settings.config:
    raise WorkflowError(
        "activa stages read YAML config files only: put overrides in a file and pass it with "
        "--configfile instead of --config KEY=VALUE"
    )

# JAX's persistent compilation cache, one folder for the run's jobs: a program that one job compiled, the next
# job that runs it loads instead of compiling it again (the same model shapes in predict and density, the tiny
# models of the smoke DAG, every job of a rerun). Only programs that took over a second to compile are kept
# (JAX's default; loading the small ones costs more than compiling them). The compiled code is the same, so are
# the outputs; a host whose CPU lacks the features a program was compiled for recompiles it. Yours, if you set
# JAX_COMPILATION_CACHE_DIR, takes precedence.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.abspath(os.path.join(".snakemake", "jax-cache")))

# Every stage validates the same merged config that Snakemake validated: the default file, then the
# --configfile files in order (later ones override earlier ones). Every path a rule hands to the shell is quoted
# (here with shlex, in the shell commands with Snakemake's :q), so that a checkout whose path has a space works.
CONFIG_ARGS = " ".join(
    f"--config {shlex.quote(str(path))}" for path in ["config/config.yaml", *workflow.overwrite_configfiles]
)

# The kinds of family (activa/data/families.py): simulated (linear, SERGIO) or real data (Sachs).
try:
    KIND = {name: kind_of(spec) for name, spec in config["families"].items()}
except ValueError as error:
    raise WorkflowError(f"config key 'families': {error}")
LINEAR_FAMILIES = sorted(name for name, kind in KIND.items() if kind.closed_form)
FAMILIES = sorted(config["families"])
SIMULATED_FAMILIES = sorted(name for name, kind in KIND.items() if kind.simulated)
REAL_FAMILIES = sorted(name for name, kind in KIND.items() if not kind.simulated)
NETWORK_FILES = RESOURCES["networks"]
SACHS_FILES = RESOURCES["sachs-data"]
TABLE1 = multiext("results/tables/table1", ".csv", ".md", ".tex")
TABLE1_REFERENCES = multiext("results/tables/table1_references", ".csv", ".md", ".tex", ".against_activa.csv")
# Reference methods around ACTIVA (activa/eval/methods.py; workflow/rules/references.smk): each on Table 1's
# families and, where its entry says so, on the v1 tables' families.
try:
    REFERENCES = registry(config["references"])
except ValueError as error:
    raise WorkflowError(f"config key 'references': {error}")
REFERENCE_METHODS = list(REFERENCES)
GENERIC_REFERENCES = [name for name, method in REFERENCES.items() if method.predict is not None]
V1_TABLE_FAMILIES = sorted({row["key"] for table in config["v1_tables"].values() for row in table["rows"]})
# dowhy's worker processes: one per 100 SCMs of its subset, at most 4 (starting a worker costs seconds)
DOWHY_THREADS = min(4, 1 + max(config["references"][m]["scms"] or 400 for m in ("dowhy_gcm", "dowhy_gcm_auto")) // 100)
LATENTS_TABLE = multiext("results/tables/latents", ".csv", ".md", ".tex")
CALIBRATION_TABLE = multiext("results/tables/calibration", ".csv", ".md", ".tex")
INFERENCE_SETTINGS_TABLE = multiext("results/tables/inference_settings", ".csv", ".md", ".tex")

# ACTIVA: the variants trained in this run. The v2 variant that tests a family gives Table 1's methods
# activa / activa_1latent on it; a v1 variant's predictions are the method named after the variant.
ACTIVA = config["activa"]
ACTIVA_METHODS = list(ACTIVA["inference"]["methods"])  # activa (v2 text: 50 latents), activa_1latent (1)
ACTIVA_MODEL_OF = {}
VARIANT_METHODS = {}  # v1 variant -> the families it predicts
for _variant in ACTIVA["train"]:
    if _variant not in ACTIVA["variants"]:
        raise WorkflowError(f"config key 'activa.train': variant '{_variant}' is not in activa.variants")
    _spec = ACTIVA["variants"][_variant]
    for _family in [_spec["train_on"], *_spec["test_on"]]:
        if _family not in config["families"]:
            raise WorkflowError(
                f"config key 'activa.variants.{_variant}': family '{_family}' is not in families"
            )
    if _spec["architecture"] == "v1":
        VARIANT_METHODS[_variant] = list(_spec["test_on"])
        continue
    for _family in _spec["test_on"]:
        if _family in ACTIVA_MODEL_OF:
            raise WorkflowError(
                f"config key 'activa.variants.{_variant}.test_on': family '{_family}' is already "
                f"tested by v2 variant '{ACTIVA_MODEL_OF[_family]}'"
            )
        ACTIVA_MODEL_OF[_family] = _variant
# the simulated families a v2 model predicts (their effects, density and Table 1 cells); on a real family its
# predictions go to that family's table only
ACTIVA_FAMILIES = sorted(f for f in ACTIVA_MODEL_OF if KIND[f].simulated)
# Variants of activa.train whose model is a shipped one (rule pretrained) rather than trained (rule train).
PRETRAINED = ACTIVA["pretrained"]["variants"]
for _variant in PRETRAINED:
    if _variant not in ACTIVA["train"]:
        raise WorkflowError(
            f"config key 'activa.pretrained.variants': variant '{_variant}' is not in activa.train"
        )
TRAINED = [variant for variant in ACTIVA["train"] if variant not in PRETRAINED]
TABLE1_FAMILIES = [row["key"] for row in config["table1"]["rows"]]

CALIBRATION = multiext("results/calibration/metric_conventions", ".md", ".csv", ".sensitivity.csv")
HYPOTHESIS_FAMILIES = config["calibration"]["baseline_hypotheses"]["families"]
for _family in HYPOTHESIS_FAMILIES:
    if _family not in config["families"]:
        raise WorkflowError(
            f"config key 'calibration.baseline_hypotheses.families': family '{_family}' is not in families"
        )


wildcard_constraints:
    family="|".join(config["families"]),
    split="train|validation|test",
    method="|".join(["baseline", *REFERENCE_METHODS, *ACTIVA_METHODS, *VARIANT_METHODS]),
    variant="|".join(ACTIVA["variants"]),


def references_of(family):
    """The reference methods predicted on ``family``: those of Table 1's families and those of the v1 tables'."""
    where = {"table1": family in TABLE1_FAMILIES, "v1": family in V1_TABLE_FAMILIES, "real": family in REAL_FAMILIES}
    return [name for name, method in REFERENCES.items() if any(where[t] for t in method.tables)]


def reference_inputs(wildcards):
    """Inputs of the reference jobs. The test samples, the SCMs for a method that sees them, an external one's file."""
    method = REFERENCES[wildcards.method]
    if wildcards.family not in config["families"] or method.name not in references_of(wildcards.family):
        raise WorkflowError(f"reference method '{method.name}' does not run on family '{wildcards.family}'")
    files = {"data": f"results/data/{wildcards.family}/test.samples.parquet"}
    if method.sees != "observational":
        files["scms"] = f"results/data/{wildcards.family}/test.scms.parquet"
    if method.source is not None:
        files["source"] = method.source
    return files


def reference_arguments(wildcards, input):
    """The input files of a reference job as stage arguments."""
    return " ".join(f"--{name} {shlex.quote(str(path))}" for name, path in input.items())

def config_subset(*paths):
    """The part of the config at the dotted key paths, as a nested dict: a rule's `reads` param.

    It must equal what the rule's stage reads (the `reads` of its entry in activa/cli.py STAGES, which is all
    the stage receives); tests/test_workflow.py checks every rule.
    """
    subset = {}
    for path in paths:
        value = config
        for key in path.split("."):
            value = value[key]
        *parents, last = path.split(".")
        node = subset
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return subset


def one_of(names):
    """A wildcard constraint matching exactly these names (none: a pattern that matches nothing)."""
    return "|".join(names) or "(?!)"


def shipped_files(wildcards):
    """The model file and training log that models/manifest.json lists for shipped variant {variant}."""
    manifest = ACTIVA["pretrained"]["manifest"]
    if not os.path.exists(manifest):
        raise WorkflowError(f"{manifest}: manifest of the shipped models not found (activa.pretrained.manifest)")
    with open(manifest) as stream:
        models = json.load(stream)["models"]
    if wildcards.variant not in models:
        raise WorkflowError(f"{manifest}: no shipped model '{wildcards.variant}' (shipped: {', '.join(models)})")
    folder = os.path.dirname(manifest)
    return [os.path.join(folder, models[wildcards.variant][key]) for key in ("file", "train_log")]


def n_latents_of(wildcards):
    """Latents per query of predictions results/predictions/{method}/{family}.parquet (activa.inference)."""
    return ACTIVA["inference"]["methods"].get(wildcards.method, ACTIVA["inference"]["variant_methods"])


def validation_of(wildcards):
    """The validation split on which variant {variant}'s inference setting is chosen: its training family's."""
    return f"results/data/{ACTIVA['variants'][wildcards.variant]['train_on']}/validation.samples.parquet"


def select_latents_of(wildcards):
    """Latents per query when choosing variant {variant}'s setting: as Table 1's ACTIVA (v2) or its own (v1)."""
    if ACTIVA["variants"][wildcards.variant]["architecture"] == "v1":
        return ACTIVA["inference"]["variant_methods"]
    return ACTIVA["inference"]["methods"]["activa"]


def model_of(wildcards):
    """The model file whose predictions are results/predictions/{method}/{family}.parquet."""
    if wildcards.method in VARIANT_METHODS:
        if wildcards.family not in VARIANT_METHODS[wildcards.method]:
            raise WorkflowError(
                f"variant '{wildcards.method}' does not predict family '{wildcards.family}' "
                f"(its test_on: {', '.join(VARIANT_METHODS[wildcards.method])})"
            )
        variant = wildcards.method
    else:
        variant = ACTIVA_MODEL_OF[wildcards.family]
    return f"results/models/{variant}/model.msgpack"


PREDICTED_FAMILIES = sorted(set(ACTIVA_MODEL_OF).union(*VARIANT_METHODS.values()))


def report_caption(name):
    """Absolute path of a report caption (Snakemake resolves relative ones inconsistently for multiext)."""
    return os.path.join(workflow.basedir, "workflow", "report", f"{name}.rst")


def n_values(family, split):
    """Number of float32 values of one split's samples: S * R * N * d."""
    spec = config["families"][family]
    d = spec["n_vars"]
    regimes = 1 + d * len(spec["intervention_values"])
    return spec["splits"][split] * regimes * spec["samples_per_regime"] * d


def mem_mb(family, split, bytes_per_value):
    return int(1000 + n_values(family, split) * bytes_per_value / 1e6)


def v1_table_inputs(wildcards):
    """Metrics files of the rows of a v1-layout table that this run produces."""
    produced = {"baseline": FAMILIES, "activa": ACTIVA_FAMILIES, "activa_1latent": ACTIVA_FAMILIES}
    produced.update(VARIANT_METHODS)
    files = []
    for row in config["v1_tables"][wildcards.name]["rows"]:
        files += [
            f"results/metrics/{method}/{row['key']}.parquet"
            for method in row["methods"]
            if row["key"] in produced.get(method, [])
        ]
        # the methods a researcher would run instead (activa/eval/methods.py: tables v1)
        files += [
            f"results/metrics/{method}/{row['key']}.parquet"
            for method in references_of(row["key"])
            if "v1" in REFERENCES[method].tables and method not in row["methods"]
        ]
    return files


BIVARIATE_FAMILIES = [f for f in LINEAR_FAMILIES if config["families"][f]["n_vars"] == 2]


def figure_inputs(kind):
    """Inputs of a family's figure set: test data, predictions (and metrics) of the methods drawn.

    The methods are the baseline and, where this run trains it, ACTIVA; the metric ECDFs (kind "ecdf") add
    the reference methods run on the family.
    """

    def inputs(wildcards):
        methods = ["baseline", "activa"] if wildcards.family in ACTIVA_FAMILIES else ["baseline"]
        if kind == "ecdf":
            extra = references_of(wildcards.family)
            return {"metrics": [f"results/metrics/{m}/{wildcards.family}.parquet" for m in [*methods, *extra]]}
        files = {
            "scms": f"results/data/{wildcards.family}/test.scms.parquet",
            "truth": f"results/data/{wildcards.family}/test.samples.parquet",
            "pred": [f"results/predictions/{m}/{wildcards.family}.parquet" for m in methods],
            "metrics": [f"results/metrics/{m}/{wildcards.family}.parquet" for m in methods],
        }
        return files

    return inputs


def figure_files(names, ext):
    return expand("results/figures/{{family}}_{name}.{ext}", name=names, ext=ext)


def resources_of(wildcards):
    """The files family {family}'s splits are made from (activa/data/families.py): none, the networks, the cells."""
    return resource_files(config["families"][wildcards.family])


def resources_argument(wildcards):
    """``--resources DIR`` for a family made from files, else nothing."""
    folder = resource_dir(config["families"][wildcards.family])
    return f"--resources {shlex.quote(str(folder))}" if folder else ""


def real_predictions(wildcards):
    """The predictions a real-data family's table scores: the floor (truth_pooled), the baseline, every reference
    method run on real families, and each ACTIVA model whose variant lists the family in test_on."""
    family = wildcards.family
    methods = ["truth_pooled", "baseline", *references_of(family)]
    methods += ["activa"] if family in ACTIVA_MODEL_OF else []
    methods += [variant for variant, families in VARIANT_METHODS.items() if family in families]
    return [f"results/predictions/{method}/{family}.parquet" for method in methods]
