"""activa: amortized causal effect estimation (ACTIVA) and the pipeline that reproduces its papers.

Subpackages, in the pipeline's order (a package imports only those before it):

- ``data``: simulated datasets (linear SCMs, SERGIO) and their Parquet format.
- ``model``: ACTIVA v2 and v1 in Flax, training, inference, and the ``TrainedModel`` API.
- ``eval``: the metrics, scoring, the conditional baseline, effect checks, metric-convention calibration.
- ``report``: tables, the paper comparison, figures.

At the top: ``config`` (load, merge and schema-validate the configuration), ``stages`` (one function per
pipeline stage), ``cli`` (``python -m activa <stage>``) and ``api`` (``from activa.api import TrainedModel``).
"""

__version__ = "0.1.0"
