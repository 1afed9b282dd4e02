"""Data: the simulated datasets and their file format (the pipeline's first step).

- ``format``: the Parquet dataset format (schemas, atomic writer, validating readers).
- ``scm``: linear additive SCMs (v2 Appendix A.2.1, v1 Appendix A.1) and their samples.
- ``sergio``, ``grn``: the vectorised SERGIO simulator with knockouts (v2 Appendix A.2.2) and the regulatory
  networks whose modules it simulates.
- ``simulate``: one split of a configured family, in memory, with its seed stream and file metadata.
"""
