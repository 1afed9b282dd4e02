"""Figures of the pipeline's own runs (the papers' figures come with the figures stage)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from activa.data import atomic_path  # noqa: E402


def loss_curve(log: pd.DataFrame, paths: list[Path], title: str) -> None:
    """Training loss, per-sample reconstruction NLL and KL against the step, smoothed over 1% of the run."""
    window = max(1, len(log) // 100)
    fig, axes = plt.subplots(1, 3, figsize=(9, 2.6), constrained_layout=True)
    for ax, column, label in zip(axes, ("loss", "recon", "kl"), ("loss", "NLL per sample", "KL(q || prior)")):
        ax.plot(log["step"], log[column], color="0.8", lw=0.5)
        ax.plot(log["step"], log[column].rolling(window, min_periods=1).mean(), color="#0072B2", lw=1.2)
        ax.set_xlabel("step")
        ax.set_title(label, fontsize=9)
    fig.suptitle(title, fontsize=10)
    for path in paths:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix[1:], dpi=150)
    plt.close(fig)
