"""activa: amortized causal effect estimation (ACTIVA) and the pipeline that reproduces its papers.

Modules, one concept each:

- ``config``: load, merge and schema-validate the pipeline configuration.
- ``scm``: linear additive structural causal models (graphs, weights, noise) and their samples.
- ``data``: the Parquet dataset format (schema, atomic writer, validating reader).
- ``baseline``: the conditional multivariate-normal baseline.
- ``metrics``: vectorised MMD, Wasserstein, energy distance and the energy permutation test.
- ``evaluate``: scoring predictions against ground truth, pair by pair.
- ``tables``: Table 1 in CSV, Markdown and LaTeX.
- ``calibration``: which metric convention reproduces the published baseline numbers.
- ``cli``: ``python -m activa <stage>``, one subcommand per pipeline stage.
"""

__version__ = "0.1.0"
