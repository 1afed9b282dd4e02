rule density:
    """ACTIVA's held-out -log p per sample on a fixed random subset of a family's test SCMs (density.scms), under
    its model's predicted mixtures with the model's inference setting: the calibration table's -log p column."""
    input:
        model=lambda wildcards: f"results/models/{ACTIVA_MODEL_OF[wildcards.family]}/model.msgpack",
        data="results/data/{family}/test.samples.parquet",
    output:
        "results/density/{family}.parquet",
    wildcard_constraints:
        family=one_of(ACTIVA_FAMILIES),
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset(
            "seed", f"families.{wildcards.family}", "density", "activa.inference.batch_size"
        ),
        n_latents=ACTIVA["inference"]["methods"]["activa"],
    log:
        "results/logs/density/{family}.log",
    benchmark:
        "results/benchmarks/density/{family}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa density {params.config_args} --family {wildcards.family} --model {input.model:q} "
        "--data {input.data:q} --n-latents {params.n_latents} --out {output:q} 2> {log:q}"
