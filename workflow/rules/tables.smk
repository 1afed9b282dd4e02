rule table1:
    """ACTIVA v2 Table 1 (CSV, Markdown, LaTeX). Cells of models or datasets not built yet stay empty."""
    input:
        expand(
            "results/metrics/baseline/{family}.parquet",
            family=[row["key"] for row in config["table1"]["rows"] if row["key"] in LINEAR_FAMILIES],
        ),
    output:
        report(
            TABLE1,
            caption="workflow/report/table1.rst",
            category="Tables",
            labels=lambda wildcards, output: {"table": "Table 1 (v2)"},
        ),
    params:
        config_args=CONFIG_ARGS,
        rows=config["table1"]["rows"],
    log:
        "results/logs/tables/table1.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa table1 {params.config_args} --metrics {input} "
        "--out-prefix results/tables/table1 2> {log}"
