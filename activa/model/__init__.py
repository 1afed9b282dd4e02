"""Model: ACTIVA itself, its training and its predictions (the pipeline's second step).

- ``v2``: ACTIVA v2 (ICLR; conditional GMM prior, encoder on interventional data, mixture decoder) in Flax.
- ``v1``: ACTIVA v1 (ICML; VAMP prior, encoder on observational data) built from ``v2``'s parts.
- ``mixture``: Gaussian-mixture densities and samplers; ``architectures``: the two models by name.
- ``variants``: a configured variant's model and training settings (v2 Table 3, v1 Table 5).
- ``train``, ``checkpoint``: the jitted training loop with exact resume, and the model-file format.
- ``shipped``: the trained models shipped in ``models/`` and their manifest (SHA-256, how each was trained).
- ``inference``: L latents per query, decoded and sampled; ``api``: ``TrainedModel`` for your own data.
"""
