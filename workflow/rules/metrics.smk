rule metrics:
    """MMD, WSD, ERG, the energy test and the effect errors per (test SCM, interventional regime) pair."""
    input:
        truth="results/data/{family}/test.samples.parquet",
        pred="results/predictions/{method}/{family}.parquet",
        means="results/data/{family}/test.means.parquet",
    output:
        "results/metrics/{method}/{family}.parquet",
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset("seed", "metrics"),
    log:
        "results/logs/metrics/{method}_{family}.log",
    benchmark:
        "results/benchmarks/metrics/{method}_{family}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wildcards: 2000 + mem_mb(wildcards.family, "test", 24),
        runtime=30,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa metrics {params.config_args} --family {wildcards.family} "
        "--method {wildcards.method} --truth {input.truth:q} --pred {input.pred:q} --means {input.means:q} --out {output:q} "
        "2> {log:q}"
