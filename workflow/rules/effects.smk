rule effects:
    """Mean errors on descendants vs non-descendants of the target per method (references included); edgeless SCMs."""
    input:
        scms="results/data/{family}/test.scms.parquet",
        truth="results/data/{family}/test.samples.parquet",
        means="results/data/{family}/test.means.parquet",
        pred=lambda wildcards: [
            f"results/predictions/{method}/{wildcards.family}.parquet"
            for method in ["baseline", "activa", *references_of(wildcards.family)]
        ],
    output:
        report(
            "results/effects/{family}.md",
            caption=report_caption("effects"),
            category="Effects",
            labels=lambda wildcards, output: {"family": wildcards.family},
        ),
        multiext("results/effects/{family}", ".csv", ".no_edge.csv"),
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset(
            f"families.{wildcards.family}.generator", f"families.{wildcards.family}.label"
        ),
    log:
        "results/logs/effects/{family}.log",
    threads: 1
    resources:
        mem_mb=lambda wildcards: 1000 + mem_mb(wildcards.family, "test", 20),
        runtime=10,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa effects {params.config_args} --family {wildcards.family} --scms {input.scms:q} "
        "--truth {input.truth:q} --means {input.means:q} --pred {input.pred:q} --out-prefix results/effects/{wildcards.family} 2> {log:q}"
