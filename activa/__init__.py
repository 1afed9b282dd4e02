"""activa: amortized causal effect estimation (ACTIVA) and the pipeline that reproduces its papers.

Modules, one concept each:

- ``config``: load, merge and schema-validate the pipeline configuration.
- ``scm``: linear additive structural causal models (graphs, weights, noise) and their samples.
- ``sergio``, ``grn``: the vectorised SERGIO simulator with knockouts and the regulatory networks it uses.
- ``data``: the Parquet dataset format (schema, atomic writer, validating reader).
- ``baseline``: the conditional multivariate-normal baseline.
- ``metrics``: vectorised MMD, Wasserstein, energy distance and the energy permutation test.
- ``evaluate``: scoring predictions against ground truth, pair by pair.
- ``model``: ACTIVA v2 (conditional GMM prior, encoder on interventional data, mixture decoder) in Flax.
- ``model_v1``: ACTIVA v1 (VAMP prior, encoder on observational data) built from ``model``'s parts.
- ``architectures``: the two by name; ``mixture``: Gaussian-mixture densities and samplers.
- ``train``, ``checkpoint``: the jitted training loop with exact resume; ``inference``, ``api``: prediction.
- ``tables``, ``comparison``, ``effects``, ``figures``, ``plots``, ``style``: tables, paper comparison, figures.
- ``calibration``: which metric convention reproduces the published baseline numbers.
- ``stages``, ``cli``: ``python -m activa <stage>``, one subcommand per pipeline stage.
"""

__version__ = "0.1.0"
