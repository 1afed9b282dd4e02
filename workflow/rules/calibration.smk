rule calibrate:
    """Which metric conventions (and jitter reading) reproduce the published baseline values."""
    input:
        paper_values="config/paper_values.yaml",
    output:
        report(
            CALIBRATION,
            caption=report_caption("calibration"),
            category="Calibration",
            labels=lambda wildcards, output: {"report": "metric conventions"},
        ),
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset(
            "seed",
            "baseline.ridge",
            "metrics",
            "calibration.families",
            "calibration.jitter_std_candidates",
            "calibration.generator_variants",
            *(f"families.{f}" for f in config["calibration"]["families"]),
        ),
    log:
        "results/logs/calibration/metric_conventions.log",
    benchmark:
        "results/benchmarks/calibration/metric_conventions.tsv"
    priority: 10  # a minute on no other job's output: early, not alone at the end of the run
    threads: 1
    resources:
        mem_mb=6000,
        runtime=60,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa calibrate {params.config_args} --paper-values {input.paper_values:q} "
        "--out-prefix results/calibration/metric_conventions 2> {log:q}"


rule baseline_hypotheses:
    """Each way the published baseline could have been computed, on a family's test split, every convention."""
    input:
        "results/data/{family}/test.samples.parquet",
    output:
        "results/calibration/baseline_hypotheses/{family}.csv",
    wildcard_constraints:
        family=one_of(HYPOTHESIS_FAMILIES),
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset(
            "seed",
            "baseline.ridge",
            "metrics.chunk_size",
            "calibration.baseline_hypotheses.scms",
            "calibration.baseline_hypotheses.hypotheses",
        ),
    log:
        "results/logs/calibration/baseline_hypotheses/{family}.log",
    benchmark:
        "results/benchmarks/calibration/baseline_hypotheses/{family}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wildcards: 2000 + mem_mb(wildcards.family, "test", 48),
        runtime=30,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa baseline-hypotheses {params.config_args} --family {wildcards.family} "
        "--data {input:q} --out {output:q} 2> {log:q}"


rule published_baseline:
    """Which hypothesis reproduces each published baseline cell (v2 Table 1, v1 Tables 1, 2, 3, 6)."""
    input:
        paper_values="config/paper_values.yaml",
        hypotheses=expand(
            "results/calibration/baseline_hypotheses/{family}.csv", family=HYPOTHESIS_FAMILIES
        ),
    output:
        report(
            "results/calibration/published_baseline.md",
            caption=report_caption("published_baseline"),
            category="Calibration",
            labels=lambda wildcards, output: {"report": "published baseline"},
        ),
        "results/calibration/published_baseline.csv",
        "results/calibration/published_baseline.verdict.csv",
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset(
            "metrics.mmd",
            "metrics.wsd",
            "metrics.erg",
            "calibration.baseline_hypotheses",
            *(f"families.{f}.{key}" for f in HYPOTHESIS_FAMILIES for key in ("label", "generator")),
        ),
    log:
        "results/logs/calibration/published_baseline.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa published-baseline {params.config_args} --paper-values {input.paper_values:q} "
        "--hypotheses {input.hypotheses:q} --out-prefix results/calibration/published_baseline 2> {log:q}"
