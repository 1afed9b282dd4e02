rule pretrained:
    """Take a shipped ACTIVA model (activa.pretrained) instead of training the variant.

    Checks the model file and its training log against the SHA-256 in models/manifest.json and that the model
    is the configured variant (architecture, model config, training family), then writes what rule train
    would: the model file (whose inference setting rule select_inference chooses again), the training log and
    its loss curve.
    """
    wildcard_constraints:
        variant=one_of(PRETRAINED),
    input:
        manifest=ACTIVA["pretrained"]["manifest"],
        files=shipped_files,
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
                f"families.{ACTIVA['variants'][wildcards.variant]['train_on']}.{key}"
                for key in ("n_vars", "intervention_values")
            ),
        ),
    log:
        "results/logs/pretrained/{variant}.log",
    benchmark:
        "results/benchmarks/pretrained/{variant}.tsv"
    priority: 10  # a few seconds, then its model's inference setting and predictions (the longest chain) wait for it
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa pretrained {params.config_args} --variant {wildcards.variant} "
        "--manifest {input.manifest:q} --out-model {output.model:q} --out-log {output.train_log:q} "
        "--out-figures {output.figure:q} {output.figure_pdf:q} 2> {log:q}"
