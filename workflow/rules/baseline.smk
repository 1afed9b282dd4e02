rule baseline:
    """Conditional-Gaussian baseline predictions for the test split of a family."""
    input:
        "results/data/{family}/test.samples.parquet",
    output:
        "results/predictions/baseline/{family}.parquet",
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset("seed", "baseline.ridge", f"families.{wildcards.family}"),
    log:
        "results/logs/baseline/{family}.log",
    benchmark:
        "results/benchmarks/baseline/{family}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wildcards: mem_mb(wildcards.family, "test", 40),
        runtime=15,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa baseline {params.config_args} --family {wildcards.family} "
        "--data {input:q} --out {output:q} 2> {log:q}"
