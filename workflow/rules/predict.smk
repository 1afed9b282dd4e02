rule predict:
    """ACTIVA's predicted samples for every interventional regime of a family's test split.

    method activa draws activa.inference.n_latents latents from the v2 prior per query (v2 text: 50),
    activa_1latent draws one (v2 Table 1 caption); a v1 variant's name draws n_latents from its encoder.
    """
    input:
        model=model_of,
        data="results/data/{family}/test.samples.parquet",
    output:
        "results/predictions/{method}/{family}.parquet",
    wildcard_constraints:
        method="|".join([*ACTIVA_METHODS, *VARIANT_METHODS]),
        family="|".join(PREDICTED_FAMILIES) or "(?!)",
    params:
        config_args=CONFIG_ARGS,
        inference=ACTIVA["inference"],
    log:
        "results/logs/predict/{method}_{family}.log",
    benchmark:
        "results/benchmarks/predict/{method}_{family}.tsv"
    threads: 2
    resources:
        gpu=ACTIVA["training"]["gpus"],
        mem_mb=lambda wildcards: 2000 + mem_mb(wildcards.family, "test", 40),
        runtime=60,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa predict {params.config_args} --method {wildcards.method} --model {input.model} "
        "--family {wildcards.family} --data {input.data} --out {output} 2> {log}"
