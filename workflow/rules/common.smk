# Shared helpers of the rules: how stages get the config, which families exist, resource estimates.

if workflow.config_settings.config:
    raise WorkflowError(
        "activa stages read YAML config files only: put overrides in a file and pass it with "
        "--configfile instead of --config KEY=VALUE"
    )

# Every stage validates the same merged config that Snakemake validated: the default file, then the
# --configfile files in order (later ones override earlier ones).
CONFIG_ARGS = " ".join(
    f"--config {path}" for path in ["config/config.yaml", *workflow.overwrite_configfiles]
)

LINEAR_FAMILIES = sorted(
    name for name, spec in config["families"].items() if spec["generator"] == "linear"
)
TABLE1 = multiext("results/tables/table1", ".csv", ".md", ".tex")
CALIBRATION = multiext("results/calibration/metric_conventions", ".md", ".csv", ".sensitivity.csv")


wildcard_constraints:
    family="|".join(config["families"]),
    split="train|test",
    method="baseline",


def n_values(family, split):
    """Number of float32 values of one split's samples: S * R * N * d."""
    spec = config["families"][family]
    d = spec["n_vars"]
    regimes = 1 + d * len(spec["intervention_values"])
    return spec["splits"][split] * regimes * spec["samples_per_regime"] * d


def mem_mb(family, split, bytes_per_value):
    return int(1000 + n_values(family, split) * bytes_per_value / 1e6)
