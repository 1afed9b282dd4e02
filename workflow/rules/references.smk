# Reference methods around ACTIVA (activa/eval/references.py): predictions of every test query, scored by the
# metrics rule like any method.


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
        "python -m activa paper-baseline {params.config_args} --family {wildcards.family} --data {input} "
        "--out {output} 2> {log}"


rule no_effect:
    """The observational samples with V_t set to v: an intervention that changes nothing downstream."""
    input:
        "results/data/{family}/test.samples.parquet",
    output:
        "results/predictions/no_effect/{family}.parquet",
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset("seed", f"families.{wildcards.family}"),
    log:
        "results/logs/no_effect/{family}.log",
    benchmark:
        "results/benchmarks/no_effect/{family}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wildcards: mem_mb(wildcards.family, "test", 16),
        runtime=10,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa no-effect {params.config_args} --family {wildcards.family} --data {input} "
        "--out {output} 2> {log}"


rule oracle_graph:
    """The true graph's linear mechanisms fitted on the observational samples, sampled under each query."""
    input:
        data="results/data/{family}/test.samples.parquet",
        scms="results/data/{family}/test.scms.parquet",
    output:
        "results/predictions/oracle_graph/{family}.parquet",
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset("seed", f"families.{wildcards.family}"),
    log:
        "results/logs/oracle_graph/{family}.log",
    benchmark:
        "results/benchmarks/oracle_graph/{family}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wildcards: mem_mb(wildcards.family, "test", 48),
        runtime=10,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa oracle-graph {params.config_args} --family {wildcards.family} --data {input.data} "
        "--scms {input.scms} --out {output} 2> {log}"


rule truth_resample:
    """A second, independent draw of the ground truth from the same SCMs: the metrics' noise floor."""
    input:
        data="results/data/{family}/test.samples.parquet",
        scms="results/data/{family}/test.scms.parquet",
    output:
        "results/predictions/truth_resample/{family}.parquet",
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset("seed", f"families.{wildcards.family}"),
    log:
        "results/logs/truth_resample/{family}.log",
    benchmark:
        "results/benchmarks/truth_resample/{family}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wildcards: mem_mb(wildcards.family, "test", 48),
        runtime=15,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa truth-resample {params.config_args} --family {wildcards.family} --data {input.data} "
        "--scms {input.scms} --out {output} 2> {log}"


rule truth_pooled:
    """Many independent runs of the ground truth pooled (the floor), the split's true means, its effective N."""
    input:
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
        "python -m activa truth-pooled {params.config_args} --family {wildcards.family} --data {input.data} "
        "--scms {input.scms} --out {output.pred} --out-means {output.means} --out-floor {output.floor} "
        "--no-progress 2> {log}"


rule dowhy_gcm:
    """dowhy.gcm with the true graph and automatically assigned mechanisms, on a fixed subset of test SCMs."""
    input:
        data="results/data/{family}/test.samples.parquet",
        scms="results/data/{family}/test.scms.parquet",
    output:
        "results/predictions/dowhy_gcm/{family}.parquet",
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset("seed", f"families.{wildcards.family}", "references.dowhy_gcm"),
    log:
        "results/logs/dowhy_gcm/{family}.log",
    benchmark:
        "results/benchmarks/dowhy_gcm/{family}.tsv"
    threads: DOWHY_THREADS
    resources:
        mem_mb=lambda wildcards: 2000 + mem_mb(wildcards.family, "test", 8),
        runtime=lambda wildcards: 10 + config["references"]["dowhy_gcm"]["scms"] // 20,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa dowhy-gcm {params.config_args} --family {wildcards.family} --data {input.data} "
        "--scms {input.scms} --workers {threads} --out {output} 2> {log}"
