"""Evaluation: what the predictions are worth (the pipeline's third step).

- ``metrics``: vectorised MMD, Wasserstein, energy distance and the energy permutation test.
- ``scoring``: predictions against ground truth, pair by pair, and the metrics file format.
- ``baseline``: the conditional multivariate-normal baseline (v2 section 6.1, v1 section 4.3).
- ``effects``: errors on descendants vs non-descendants of the target, from closed-form moments.
- ``real``: every method on real interventions (Sachs), non-target proteins, between the floor and no effect.
- ``calibration``: which metric conventions reproduce the published baseline numbers.
"""
