rule table1:
    """ACTIVA v2 Table 1 (CSV, Markdown, LaTeX). Cells of models or datasets not built yet stay empty."""
    input:
        expand(
            "results/metrics/baseline/{family}.parquet",
            family=[f for f in TABLE1_FAMILIES if f in FAMILIES],
        ),
        expand(
            "results/metrics/activa/{family}.parquet",
            family=[f for f in TABLE1_FAMILIES if f in ACTIVA_FAMILIES],
        ),
    output:
        report(
            TABLE1,
            caption=report_caption("table1"),
            category="Tables",
            labels=lambda wildcards, output: {"table": "Table 1 (v2)"},
        ),
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset("seed", "intervals", "table1.rows"),
    log:
        "results/logs/tables/table1.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa table {params.config_args} --name table1 --metrics {input:q} "
        "--out-prefix results/tables/table1 2> {log:q}"


rule table1_references:
    """Table 1 with the reference methods (activa/eval/methods.py): no effect, the paper-style baseline, the
    discover-then-estimate methods, the oracle graph, DoWhy, the truth resampled and pooled."""
    input:
        metrics=[
            *[
                f"results/metrics/{method}/{family}.parquet"
                for family in TABLE1_FAMILIES
                if family in FAMILIES
                for method in ["baseline", *references_of(family)]
            ],
            *expand(
                "results/metrics/activa/{family}.parquet",
                family=[f for f in TABLE1_FAMILIES if f in ACTIVA_FAMILIES],
            ),
        ],
        floors=expand(
            "results/data/{family}/test.effective_samples.csv",
            family=[f for f in TABLE1_FAMILIES if f in FAMILIES],
        ),
    output:
        report(
            TABLE1_REFERENCES,
            caption=report_caption("table1_references"),
            category="Tables",
            labels=lambda wildcards, output: {"table": "Table 1 with references"},
        ),
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset("seed", "intervals", "table1.rows"),
    log:
        "results/logs/tables/table1_references.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa table {params.config_args} --name table1_references --metrics {input.metrics:q} "
        "--floors {input.floors:q} --out-prefix results/tables/table1_references 2> {log:q}"


rule latents_table:
    """ACTIVA with each number of latents per query of activa.inference.methods (v2: 50 against 1)."""
    input:
        expand(
            "results/metrics/{method}/{family}.parquet",
            method=ACTIVA_METHODS,
            family=[f for f in TABLE1_FAMILIES if f in ACTIVA_FAMILIES],
        ),
    output:
        report(
            LATENTS_TABLE,
            caption=report_caption("latents"),
            category="Tables",
            labels=lambda wildcards, output: {"table": "latents per query"},
        ),
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset("seed", "intervals", "table1.rows", "activa.inference.methods"),
    log:
        "results/logs/tables/latents.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa table {params.config_args} --name latents --metrics {input:q} "
        "--out-prefix results/tables/latents 2> {log:q}"


rule paper_comparison:
    """Every published cell (v2 Table 1; v1 Tables 1, 2, 3, 6) next to ours, noting where settings differ."""
    input:
        table1="results/tables/table1.csv",
        v1_tables=expand("results/tables/{name}.csv", name=config["v1_tables"]),
        paper_values="config/paper_values.yaml",
        models=expand("results/models/{variant}/model.msgpack", variant=sorted(set(ACTIVA_MODEL_OF.values()))),
        published_baseline="results/calibration/published_baseline.csv",
        references="results/tables/table1_references.csv",
    output:
        report(
            "results/tables/paper_comparison.md",
            caption=report_caption("paper_comparison"),
            category="Tables",
            labels=lambda wildcards, output: {"table": "paper vs ours"},
        ),
        "results/tables/paper_comparison.csv",
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset(
            "families", "activa.train", "activa.pretrained.variants", "activa.variants", "table1.rows"
        ),
    log:
        "results/logs/tables/paper_comparison.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa compare {params.config_args} --table1 {input.table1:q} "
        "--paper-values {input.paper_values:q} --v1-tables {input.v1_tables:q} --models {input.models:q} "
        "--published-baseline {input.published_baseline:q} --references {input.references:q} --out-prefix results/tables/paper_comparison 2> {log:q}"


rule v1_table:
    """A table in ACTIVA v1's layout (rows: dataset x method; MMD, WSD, ERG, p); its note names models and data."""
    input:
        v1_table_inputs,
    output:
        report(
            multiext("results/tables/{name}", ".md", ".csv", ".tex"),
            caption=report_caption("v1_table"),
            category="Tables",
            labels=lambda wildcards, output: {"table": wildcards.name},
        ),
    wildcard_constraints:
        name="|".join(config["v1_tables"]),
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset("seed", "intervals", f"v1_tables.{wildcards.name}"),
    log:
        "results/logs/tables/{name}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa table {params.config_args} --name {wildcards.name} --metrics {input:q} "
        "--out-prefix results/tables/{wildcards.name} 2> {log:q}"


rule training_cost:
    """Parameters, steps, time in the jitted steps and final loss of every variant trained in this run."""
    input:
        models=expand("results/models/{variant}/model.msgpack", variant=ACTIVA["train"]),
        logs=expand("results/models/{variant}/train_log.csv", variant=ACTIVA["train"]),
    output:
        report(
            "results/tables/training_cost.md",
            caption=report_caption("training_cost"),
            category="Tables",
            labels=lambda wildcards, output: {"table": "training cost"},
        ),
        "results/tables/training_cost.csv",
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset("families"),
    log:
        "results/logs/tables/training_cost.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa training-cost {params.config_args} --models {input.models:q} --logs {input.logs:q} "
        "--out-prefix results/tables/training_cost 2> {log:q}"


rule calibration_table:
    """How well each method's predicted distribution is calibrated on Table 1's families: energy score, spread
    ratio, interval coverage, ACTIVA's held-out -log p (table), PIT histograms and coverage curves (figure)."""
    input:
        metrics=[
            *[
                f"results/metrics/{method}/{family}.parquet"
                for family in TABLE1_FAMILIES
                if family in FAMILIES
                for method in ["baseline", *references_of(family)]
            ],
            *expand(
                "results/metrics/{method}/{family}.parquet",
                method=ACTIVA_METHODS,
                family=[f for f in TABLE1_FAMILIES if f in ACTIVA_FAMILIES],
            ),
        ],
        densities=expand(
            "results/density/{family}.parquet", family=[f for f in TABLE1_FAMILIES if f in ACTIVA_FAMILIES]
        ),
    output:
        table=report(
            CALIBRATION_TABLE,
            caption=report_caption("calibration_table"),
            category="Tables",
            labels=lambda wildcards, output: {"table": "calibration"},
        ),
        figure=report(
            "results/figures/calibration.png",
            caption=report_caption("calibration_figure"),
            category="Figures",
            labels=lambda wildcards, output: {"figure": "calibration (PIT, coverage)"},
        ),
        figure_pdf="results/figures/calibration.pdf",
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset("seed", "intervals", "table1.rows"),
    log:
        "results/logs/tables/calibration.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa calibration-table {params.config_args} --metrics {input.metrics:q} "
        "--densities {input.densities:q} --out-prefix results/tables/calibration "
        "--out-figures {output.figure:q} {output.figure_pdf:q} 2> {log:q}"


rule inference_settings_table:
    """Every model's inference candidates on the validation split of its training family, the chosen one marked."""
    input:
        expand("results/models/{variant}/inference.csv", variant=ACTIVA["train"]),
    output:
        report(
            INFERENCE_SETTINGS_TABLE,
            caption=report_caption("inference_settings"),
            category="Tables",
            labels=lambda wildcards, output: {"table": "inference settings (validation)"},
        ),
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset(
            "activa.inference.select.alpha", *(f"families.{f}.label" for f in config["families"])
        ),
    log:
        "results/logs/tables/inference_settings.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa settings-table {params.config_args} --tables {input:q} "
        "--out-prefix results/tables/inference_settings 2> {log:q}"
