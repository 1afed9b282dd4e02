rule metric_ecdf:
    """Per-pair metric distributions (ECDFs) of every method scored on a family, references included."""
    input:
        unpack(figure_inputs("ecdf")),
    output:
        png=report(
            "results/figures/{family}_metric_ecdf.png",
            caption=report_caption("metric_ecdf"),
            category="Figures",
            subcategory="{family}",
            labels=lambda wildcards, output: {"family": wildcards.family, "figures": "metric ECDFs"},
        ),
        pdf="results/figures/{family}_metric_ecdf.pdf",
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset(
            f"families.{wildcards.family}.generator", f"families.{wildcards.family}.label"
        ),
    log:
        "results/logs/figures/metric_ecdf_{family}.log",
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa figures {params.config_args} --family {wildcards.family} --kind ecdf "
        "--metrics {input.metrics:q} --out-dir results/figures 2> {log:q}"


rule summary_figures:
    """Predicted-vs-true interventional means of a linear family (baseline, ACTIVA)."""
    input:
        unpack(figure_inputs("summary")),
    output:
        png=report(
            figure_files(["mean_calibration"], "png"),
            caption=report_caption("summary_figures"),
            category="Figures",
            subcategory="{family}",
            labels=lambda wildcards, output: {"family": wildcards.family, "figures": "summary"},
        ),
        pdf=figure_files(["mean_calibration"], "pdf"),
    wildcard_constraints:
        family="|".join(LINEAR_FAMILIES),
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset(
            f"families.{wildcards.family}.generator", f"families.{wildcards.family}.label"
        ),
    log:
        "results/logs/figures/summary_{family}.log",
    threads: 1
    resources:
        mem_mb=lambda wildcards: 1500 + mem_mb(wildcards.family, "test", 20),
        runtime=10,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa figures {params.config_args} --family {wildcards.family} --kind summary "
        "--scms {input.scms:q} --truth {input.truth:q} --pred {input.pred:q} --metrics {input.metrics:q} "
        "--out-dir results/figures 2> {log:q}"


rule scatter_figures:
    """v2 Figure 2 and v1 Figures 3-5: samples of chosen bivariate test SCMs, truth vs baseline vs ACTIVA."""
    input:
        unpack(figure_inputs("scatter")),
    output:
        captions=report(
            "results/figures/{family}_captions.md",
            caption=report_caption("figure_captions"),
            category="Figures",
            subcategory="{family}",
            labels=lambda wildcards, output: {"family": wildcards.family, "figures": "scatter means"},
        ),
        png=report(
            figure_files(["scms", "example_edge", "example_no_edge"], "png"),
            caption=report_caption("scatter_figures"),
            category="Figures",
            subcategory="{family}",
            labels=lambda wildcards, output: {"family": wildcards.family, "figures": "scatter"},
        ),
        pdf=figure_files(["scms", "example_edge", "example_no_edge"], "pdf"),
    wildcard_constraints:
        family="|".join(BIVARIATE_FAMILIES) or "(?!)",
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset(
            f"families.{wildcards.family}.generator", f"families.{wildcards.family}.label"
        ),
    log:
        "results/logs/figures/scatter_{family}.log",
    threads: 1
    resources:
        mem_mb=lambda wildcards: 1500 + mem_mb(wildcards.family, "test", 20),
        runtime=10,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa figures {params.config_args} --family {wildcards.family} --kind scatter "
        "--scms {input.scms:q} --truth {input.truth:q} --pred {input.pred:q} --metrics {input.metrics:q} "
        "--out-dir results/figures 2> {log:q}"
