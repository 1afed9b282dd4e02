"""Data: the datasets, simulated or real, and their file format (the pipeline's first step).

- ``format``: the Parquet dataset format (schemas, atomic writer, validating readers).
- ``scm``: linear additive SCMs (v2 Appendix A.2.1, v1 Appendix A.1) and their samples.
- ``sergio``, ``grn``: the vectorised SERGIO simulator with knockouts (v2 Appendix A.2.2) and the regulatory
  networks whose modules it simulates.
- ``families``: the kinds of family (linear, sergio, sachs), one module each behind one interface.
- ``sachs``: real flow-cytometry cells with inhibitor interventions (Sachs et al. 2005), as draws of cells.
- ``resources``: data files taken from pinned PyPI wheels, SHA-256 checked (the networks, the Sachs cells).
- ``simulate``: one split of a configured family, in memory, with its seed stream and file metadata.
"""
