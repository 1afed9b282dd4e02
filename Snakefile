# activa: regenerate the ACTIVA papers' tables and figures.
#   snakemake --cores 2 --configfile config/quick.yaml   (small default, CPU)
#   snakemake --cores 8 --use-conda all                  (paper scale)
#   snakemake results/tables/table1.tex                  (one target)
#   snakemake results/tables/sachs.md                    (real data, Sachs et al. 2005)
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/baseline.smk"
include: "workflow/rules/references.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/pretrained.smk"
include: "workflow/rules/select.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/metrics.smk"
include: "workflow/rules/density.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/effects.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/calibration.smk"
include: "workflow/rules/real.smk"


rule all:
    input:
        expand("results/data/{family}/test.samples.parquet", family=FAMILIES),
        TABLE1,
        TABLE1_REFERENCES,
        LATENTS_TABLE,
        CALIBRATION_TABLE,
        "results/figures/calibration.pdf",
        INFERENCE_SETTINGS_TABLE if ACTIVA["train"] else [],
        "results/tables/paper_comparison.md",
        expand("results/tables/{name}.md", name=config["v1_tables"]),
        ["results/tables/training_cost.md"] if ACTIVA["train"] else [],
        expand("results/effects/{family}.md", family=ACTIVA_FAMILIES),
        expand("results/figures/loss_{variant}.{ext}", variant=ACTIVA["train"], ext=["png", "pdf"]),
        expand("results/figures/{family}_metric_ecdf.pdf", family=SIMULATED_FAMILIES),
        expand("results/tables/{family}.md", family=REAL_FAMILIES),
        expand("results/figures/{family}_shifts.pdf", family=REAL_FAMILIES),
        expand("results/figures/{family}_mean_calibration.pdf", family=LINEAR_FAMILIES),
        expand("results/figures/{family}_scms.pdf", family=BIVARIATE_FAMILIES),
        CALIBRATION,
        "results/calibration/published_baseline.md",
    default_target: True
