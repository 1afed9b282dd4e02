rule predict:
    """ACTIVA's predicted samples for every interventional regime of a family's test split.

    Latents per query: activa.inference.methods for the v2 model's methods (activa: 50 in the v2 text;
    activa_1latent: 1, the v2 Table 1 caption), activa.inference.variant_methods for a v1 variant's own.
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
        reads=lambda wildcards: config_subset(
            "seed", f"families.{wildcards.family}", "activa.inference.batch_size"
        ),
        n_latents=n_latents_of,
    log:
        "results/logs/predict/{method}_{family}.log",
    benchmark:
        "results/benchmarks/predict/{method}_{family}.tsv"
    # the longest jobs of a CPU run: started first, and one thread each so that two run at once (XLA's own
    # thread pool gains 1.6x from a second core, two jobs side by side 1.8x)
    priority: 10
    threads: 1
    resources:
        gpu=ACTIVA["training"]["gpus"],
        mem_mb=lambda wildcards: 2000 + mem_mb(wildcards.family, "test", 40),
        runtime=60,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa predict {params.config_args} --method {wildcards.method} --model {input.model:q} "
        "--family {wildcards.family} --data {input.data:q} --n-latents {params.n_latents} --out {output:q} 2> {log:q}"
