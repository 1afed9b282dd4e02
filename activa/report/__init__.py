"""Report: tables and figures from the evaluation's files (the pipeline's last step).

- ``tables``: v2 Table 1, the latents table, v1-layout tables and the training-cost table (CSV, Markdown, LaTeX).
- ``comparison``: every published cell next to ours.
- ``figures``: the papers' figures and ours (scatter panels, metric ECDFs, mean calibration, loss curves).
- ``style``: one figure style (paper widths, Okabe-Ito colours) and the atomic figure writer.
"""
