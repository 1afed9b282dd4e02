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
            "calibration",
            *(f"families.{f}" for f in config["calibration"]["families"]),
        ),
    log:
        "results/logs/calibration/metric_conventions.log",
    benchmark:
        "results/benchmarks/calibration/metric_conventions.tsv"
    threads: 1
    resources:
        mem_mb=6000,
        runtime=60,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa calibrate {params.config_args} --paper-values {input.paper_values} "
        "--out-prefix results/calibration/metric_conventions 2> {log}"
