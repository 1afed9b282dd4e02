rule networks:
    """The E. coli and yeast regulatory networks SERGIO's subnetworks come from (avici==1.0.7 wheel, SHA-256 checked)."""
    output:
        NETWORK_FILES,
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset("grn.local_dir"),
    log:
        "results/logs/simulate/networks.log",
    priority: 20  # SERGIO's simulations wait for it, and every SERGIO job for them
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa networks {params.config_args} --out-dir resources/grn 2> {log:q}"


rule sachs_data:
    """The Sachs et al. (2005) cells and consensus network (cdt==0.6.0 wheel, SHA-256 checked)."""
    output:
        SACHS_FILES,
    params:
        config_args=CONFIG_ARGS,
        reads=config_subset("sachs_data.local_dir"),
    log:
        "results/logs/simulate/sachs_data.log",
    priority: 20
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa sachs-data {params.config_args} --out-dir resources/sachs 2> {log:q}"


rule simulate:
    """One split of a dataset family to Parquet: linear Gaussian/Beta SCMs, SERGIO knockouts, or draws of the
    Sachs cells (activa/data/families.py)."""
    input:
        resources_of,
    output:
        samples="results/data/{family}/{split}.samples.parquet",
        scms="results/data/{family}/{split}.scms.parquet",
    params:
        config_args=CONFIG_ARGS,
        reads=lambda wildcards: config_subset("seed", f"families.{wildcards.family}"),
        resources=resources_argument,
    log:
        "results/logs/simulate/{family}_{split}.log",
    benchmark:
        "results/benchmarks/simulate/{family}_{split}.tsv"
    # every other job waits for a split: simulations first. One thread each: a job asking for two cores waits
    # until both are free at once, which on a busy 2-core machine is late (with two threads the quick run
    # simulated the first SERGIO split after 11 minutes, and their pooled truth then ran on one core at the end).
    # More SERGIO worker processes: --set-threads simulate=N.
    priority: 20
    threads: 1
    resources:
        mem_mb=lambda wildcards: mem_mb(wildcards.family, wildcards.split, 40),
        runtime=30,
    conda:
        "../../envs/activa.yaml"
    shell:
        "python -m activa simulate {params.config_args} --family {wildcards.family} "
        "--split {wildcards.split} --out-samples {output.samples:q} --out-scms {output.scms:q} "
        "--workers {threads} {params.resources} 2> {log:q}"
