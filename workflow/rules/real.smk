# Real data (activa/data/families.py: kinds that are not simulated, e.g. Sachs): every method's predictions of the
# measured interventions, scored on the non-target proteins between the floor and no effect (activa/eval/real.py).


rule real_table:
    """Every method on a real-data family's interventions: the table (per condition and over all) and the figure of
    predicted against measured shifts."""
    input:
        truth="results/data/{family}/test.samples.parquet",
        means="results/data/{family}/test.means.parquet",
        pred=real_predictions,
    output:
        table=report(
            multiext("results/tables/{family}", ".csv", ".md", ".tex"),
            caption=report_caption("real_table"),
            category="Real data",
            labels=lambda wildcards, output: {"table": wildcards.family},
        ),
        figures=report(
            multiext("results/figures/{family}_shifts", ".pdf", ".png"),
            caption=report_caption("real_table"),
            category="Real data",
            labels=lambda wildcards, output: {"figure": f"{wildcards.family} shifts"},
        ),
    wildcard_constraints:
        family=one_of(REAL_FAMILIES),
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset("seed", "intervals", "metrics", f"families.{wildcards.family}"),
    log:
        "results/logs/tables/{family}.log",
    benchmark:
        "results/benchmarks/tables/{family}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa real-table {params.config_args} --family {wildcards.family} --truth {input.truth:q} "
        "--means {input.means:q} --pred {input.pred:q} --out-prefix results/tables/{wildcards.family} "
        "--out-figures {output.figures:q} 2> {log:q}"
