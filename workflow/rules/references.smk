# Reference methods around ACTIVA (the registry activa/eval/methods.py): predictions of every test query, scored by
# the metrics rule like any method. paper_baseline and truth_pooled have stages of their own; every other method
# runs through the rule reference.


rule paper_baseline:
    """The baseline as the published baseline numbers were made (references.paper_baseline, e.g. at V_t = 0)."""
    input:
        "results/data/{family}/test.samples.parquet",
    output:
        "results/predictions/paper_baseline/{family}.parquet",
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset(
            "seed",
            "baseline.ridge",
            f"families.{wildcards.family}",
            "references.paper_baseline",
            f"calibration.baseline_hypotheses.hypotheses.{config['references']['paper_baseline']}",
        ),
    log:
        "results/logs/paper_baseline/{family}.log",
    benchmark:
        "results/benchmarks/paper_baseline/{family}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wildcards: mem_mb(wildcards.family, "test", 24),
        runtime=10,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa paper-baseline {params.config_args} --family {wildcards.family} --data {input:q} "
        "--out {output:q} 2> {log:q}"


rule reference:
    """A reference method of the registry (activa/eval/methods.py) on a family's test split: no effect, the
    discover-then-estimate methods, the oracle graph, DoWhy, the truth resampled, or an external method."""
    input:
        unpack(reference_inputs),
    output:
        "results/predictions/{method}/{family}.parquet",
    wildcard_constraints:
        method=one_of(GENERIC_REFERENCES),
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset(*REFERENCES[wildcards.method].reads(wildcards.family)),
        inputs=reference_arguments,
    log:
        "results/logs/{method}/{family}.log",
    benchmark:
        "results/benchmarks/{method}/{family}.tsv"
    threads: lambda wildcards: DOWHY_THREADS if wildcards.method.startswith("dowhy") else 1
    resources:
        mem_mb=lambda wildcards: 1000 + mem_mb(wildcards.family, "test", 64),
        runtime=lambda wildcards: 30 if REFERENCES[wildcards.method].options else 10,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa reference {params.config_args} --method {wildcards.method} --family {wildcards.family} "
        "{params.inputs} --workers {threads} --out {output:q} --no-progress 2> {log:q}"


rule truth_pooled:
    """Many independent runs of the ground truth pooled (the floor), the split's true means, its effective N."""
    input:
        resources_of,
        data="results/data/{family}/test.samples.parquet",
        scms="results/data/{family}/test.scms.parquet",
    output:
        pred="results/predictions/truth_pooled/{family}.parquet",
        means="results/data/{family}/test.means.parquet",
        floor="results/data/{family}/test.effective_samples.csv",
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset(
            "seed", f"families.{wildcards.family}", "references.truth_pooled"
        ),
        resources=resources_argument,
    log:
        "results/logs/truth_pooled/{family}.log",
    benchmark:
        "results/benchmarks/truth_pooled/{family}.tsv"
    # every metrics job waits for the split's true means written here, and on SERGIO this job is one of the
    # longest (runs x a simulation of the test split): started before the predictions
    priority: 15
    threads: 1
    resources:
        mem_mb=lambda wildcards: 1000 + mem_mb(wildcards.family, "test", 64),
        runtime=lambda wildcards: 10 + config["references"]["truth_pooled"]["runs"],
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa truth-pooled {params.config_args} --family {wildcards.family} --data {input.data:q} "
        "--scms {input.scms:q} --out {output.pred:q} --out-means {output.means:q} --out-floor {output.floor:q} "
        "{params.resources} --no-progress 2> {log:q}"
