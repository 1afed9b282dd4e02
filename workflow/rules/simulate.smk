rule simulate:
    """Simulate one split of a dataset family (linear Gaussian/Beta SCMs) to Parquet."""
    output:
        samples="results/data/{family}/{split}.samples.parquet",
        scms="results/data/{family}/{split}.scms.parquet",
    params:
        config_args=CONFIG_ARGS,
        family_config=lambda wildcards: config["families"][wildcards.family],
        seed=config["seed"],
    log:
        "results/logs/simulate/{family}_{split}.log",
    benchmark:
        "results/benchmarks/simulate/{family}_{split}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wildcards: mem_mb(wildcards.family, wildcards.split, 40),
        runtime=30,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa simulate {params.config_args} --family {wildcards.family} "
        "--split {wildcards.split} --out-samples {output.samples} --out-scms {output.scms} 2> {log}"
