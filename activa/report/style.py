"""One figure style for the pipeline: paper column widths, Okabe-Ito colours, the papers' scatter colours."""

from __future__ import annotations

import contextlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from activa.data.format import atomic_path  # noqa: E402
from activa.eval import methods as _methods  # noqa: E402

COLUMN_IN = 3.3  # one column of a two-column paper, inches
PAGE_IN = 6.8  # full text width, inches

# Okabe & Ito (2008), colour-blind safe; used for methods. The reference methods' colours and labels are their
# registry entries' (activa/eval/methods.py).
OKABE_ITO = _methods.OKABE_ITO
METHOD_COLOURS = {"truth samples": "#000000", "ground truth": "#000000", "baseline": OKABE_ITO["vermillion"],
                  "activa": OKABE_ITO["blue"], "activa_1latent": OKABE_ITO["sky"],
                  **{m.name: m.colour for m in _methods.BUILTIN}}
METHOD_LABELS = {"baseline": "Conditional baseline", "activa": "ACTIVA", "activa_1latent": "ACTIVA (1 latent)",
                 "truth": "Ground truth", **{m.name: m.label[0].upper() + m.label[1:] for m in _methods.BUILTIN}}

# The papers' scatter figures (v2 Figure 2, v1 Figures 3-5): here the colours are the point.
REGIME_COLOURS = {"observational": "#40E0D0", "do(X=5)": "#1f4e9c", "do(Y=5)": "#8B4513"}

RC = {
    "font.size": 7, "axes.titlesize": 7, "axes.labelsize": 7, "legend.fontsize": 6, "xtick.labelsize": 6,
    "ytick.labelsize": 6, "axes.spines.top": False, "axes.spines.right": False, "axes.linewidth": 0.6,
    "lines.linewidth": 1.0, "savefig.bbox": "tight", "savefig.pad_inches": 0.02, "figure.dpi": 100,
}


@contextlib.contextmanager
def paper_style():
    """Context in which figures get the project's rcParams."""
    with plt.rc_context(RC):
        yield


def save(fig, paths: list[str | Path], dpi: int = 200) -> None:
    """Write ``fig`` to every path (format from the suffix: .pdf for papers, .png for the report), atomically."""
    for path in paths:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix[1:], dpi=dpi)
    plt.close(fig)
