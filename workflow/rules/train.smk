rule train:
    """Train one ACTIVA variant on its family's training split.

    Resumable: the run checkpoints to results/checkpoints/{variant}.msgpack (not an output, so an
    interrupted or killed job leaves it in place) and continues from it when restarted; the
    checkpoint is removed once the model is written.
    """
    wildcard_constraints:
        variant=one_of(TRAINED),
    input:
        lambda wildcards: f"results/data/{ACTIVA['variants'][wildcards.variant]['train_on']}/train.samples.parquet",
    output:
        model="results/models/{variant}/trained.msgpack",
        train_log="results/models/{variant}/train_log.csv",
        figure=report(
            "results/figures/loss_{variant}.png",
            caption=report_caption("loss"),
            category="Training",
            labels=lambda wildcards, output: {"variant": wildcards.variant},
        ),
        figure_pdf="results/figures/loss_{variant}.pdf",
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset(
            f"activa.variants.{wildcards.variant}",
            *(
                f"activa.training.{key}"
                for key in ("grad_clip_norm", "steps_per_call", "checkpoint_every", "precision", "recipe")
            ),
            f"activa.recipes.{ACTIVA['training']['recipe']}",
            *(
                f"families.{ACTIVA['variants'][wildcards.variant]['train_on']}.{key}"
                for key in ("n_vars", "intervention_values")
            ),
        ),
        checkpoint="results/checkpoints/{variant}.msgpack",
    log:
        "results/logs/train/{variant}.log",
    benchmark:
        "results/benchmarks/train/{variant}.tsv"
    priority: 10  # among the longest jobs: started early, beside the predictions
    threads: ACTIVA["training"]["threads"]
    resources:
        gpu=ACTIVA["training"]["gpus"],
        mem_mb=16000,
        runtime=ACTIVA["training"]["runtime"],
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa train {params.config_args} --variant {wildcards.variant} --data {input:q} "
        "--checkpoint {params.checkpoint:q} --out-model {output.model:q} --out-log {output.train_log:q} "
        "--out-figures {output.figure:q} {output.figure_pdf:q} 2> {log:q}"
