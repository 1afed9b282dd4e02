rule select_inference:
    """Choose how a model predicts (activa.inference.setting) on the validation split of its training family.

    Every candidate of activa.inference.select (dropout off, decoder, all; each unscaled and with a spread
    scale fitted on that split) is scored by its mean energy score; the rule of activa/eval/selection.py picks
    one. The model file gets the setting (and every candidate's scores) in its metadata; predict uses it.
    """
    input:
        model="results/models/{variant}/trained.msgpack",
        data=validation_of,
    output:
        model="results/models/{variant}/model.msgpack",
        table="results/models/{variant}/inference.csv",
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset(
            "seed", "activa.inference.setting", "activa.inference.select", "activa.inference.batch_size"
        ),
        n_latents=select_latents_of,
    log:
        "results/logs/select_inference/{variant}.log",
    benchmark:
        "results/benchmarks/select_inference/{variant}.tsv"
    priority: 10  # the predictions wait for it
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa select-inference {params.config_args} --model {input.model:q} --data {input.data:q} "
        "--n-latents {params.n_latents} --out-model {output.model:q} --out-table {output.table:q} 2> {log:q}"
