"""Training-loss curves (the papers' figures and our other figures are in ``activa.figures``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from activa.style import OKABE_ITO, PAGE_IN, paper_style, save


def loss_curve(log: pd.DataFrame, paths: list[Path], title: str) -> None:
    """Training loss, per-sample reconstruction NLL and KL against the step, smoothed over 1% of the run."""
    window = max(1, len(log) // 100)
    with paper_style():
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(PAGE_IN, 2.0), constrained_layout=True)
        for ax, column, label in zip(axes, ("loss", "recon", "kl"), ("loss", "NLL per sample", "KL(q || prior)")):
            ax.plot(log["step"], log[column], color="0.8", lw=0.5)
            ax.plot(log["step"], log[column].rolling(window, min_periods=1).mean(), color=OKABE_ITO["blue"], lw=1.2)
            ax.set_xlabel("step")
            ax.set_title(label)
        fig.suptitle(title)
        save(fig, paths, dpi=150)
