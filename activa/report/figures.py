"""The papers' figures and ours, from the pipeline's files (data in, PDF + PNG out).

- ``interventional_scatter``: v2 Figure 2 / v1 Figure 3 (one bivariate Beta SCM) and v1 Figures 4 and 5
  (four SCMs each): rows are SCMs, columns ground truth, conditional baseline, ACTIVA. Every panel shows the
  ground truth's observational samples (turquoise; the models predict interventional distributions only, as
  the papers note) and the samples under do(X=5) (blue) and do(Y=5) (brown). X is V0, Y is V1.
- ``metric_distributions``: the per-pair distributions (ECDFs) of MMD, WSD and ERG, one line per method.
- ``mean_calibration``: predicted against closed-form interventional means of the non-target variables,
  descendants and non-descendants of the target apart.
- ``loss_curve``: a training run's loss, reconstruction NLL and KL against the step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from activa.data.format import Samples, SCMTable
from activa.eval import effects
from activa.report.style import (COLUMN_IN, METHOD_COLOURS, METHOD_LABELS, OKABE_ITO, PAGE_IN, REGIME_COLOURS,
                                 paper_style, save)

EDGE_KINDS = ("X→Y", "Y→X", "no edge")


def graph_kind(adjacency: np.ndarray) -> np.ndarray:
    """[S] strings "X→Y", "Y→X" or "no edge" of bivariate adjacency matrices [S, 2, 2]."""
    if adjacency.ndim != 3 or adjacency.shape[1:] != (2, 2):
        raise ValueError(f"adjacency: expected shape [S, 2, 2] (two variables), got {adjacency.shape}")
    kind = np.full(len(adjacency), "no edge", dtype=object)
    kind[adjacency[:, 0, 1] > 0] = "X→Y"
    kind[adjacency[:, 1, 0] > 0] = "Y→X"
    return kind


def choose_scms(scms: SCMTable, n: int = 4) -> list[int]:
    """Row indices of ``n`` bivariate SCMs covering X→Y, Y→X and no edge, deterministically.

    The first SCM of each kind (in file order), then, for a fourth row, the first edge whose weight has the
    opposite sign of the first X→Y edge's; further rows take the next unused SCMs in order.
    """
    kind = graph_kind(scms.adjacency)
    rows = [int(np.flatnonzero(kind == k)[0]) for k in EDGE_KINDS if (kind == k).any()]
    if rows and kind[rows[0]] == "X→Y":
        sign = np.sign(scms.weights[rows[0], 0, 1])
        edge = (kind != "no edge") & (np.sign(scms.weights.sum(axis=(1, 2))) == -sign)
        rows += [int(i) for i in np.flatnonzero(edge) if i not in rows][:1]
    rows += [i for i in range(len(kind)) if i not in rows]
    return rows[:n]


def choose_example(scms: SCMTable, kind: str, sign: int = 0) -> int:
    """Row of the first SCM of ``kind`` ("X→Y", "Y→X" or "no edge").

    ``sign`` -1 or +1 prefers the first one whose edge weight has that sign (the first of ``kind`` if none has).
    """
    if kind not in EDGE_KINDS:
        raise ValueError(f"kind: expected one of {', '.join(EDGE_KINDS)}, got {kind!r}")
    found = np.flatnonzero(graph_kind(scms.adjacency) == kind)
    if not len(found):
        raise ValueError(f"scms: no SCM with graph {kind}")
    signed = found[np.sign(scms.weights[found].sum(axis=(1, 2))) == sign] if sign else found
    return int((signed if len(signed) else found)[0])


def _check_pred(truth: Samples, pred: Samples, name: str) -> None:
    if not np.array_equal(pred.scm, truth.scm):
        raise ValueError(f"preds['{name}']: its SCMs are not the ground truth's")
    if pred.samples.shape[-1] != truth.samples.shape[-1]:
        raise ValueError(f"preds['{name}']: {pred.samples.shape[-1]} variables, the ground truth has "
                         f"{truth.samples.shape[-1]}")


def _check_scms(scms: SCMTable, truth: Samples) -> None:
    if len(scms.adjacency) != truth.samples.shape[0] or scms.adjacency.shape[-1] != truth.samples.shape[-1]:
        raise ValueError(f"scms: {len(scms.adjacency)} SCMs of {scms.adjacency.shape[-1]} variables, the ground "
                         f"truth has {truth.samples.shape[0]} of {truth.samples.shape[-1]}")


def _regime_samples(data: Samples, row: int, target: int) -> np.ndarray:
    """Samples [N, d] of do(V_target = first value) of SCM row ``row``."""
    r = np.flatnonzero((data.target == target) & (data.value_index == 0))[0]
    return data.samples[row, r]


def interventional_scatter(truth: Samples, preds: dict[str, Samples], scms: SCMTable, rows: list[int],
                           paths: list[str | Path], title: str = "") -> str:
    """Rows = SCMs ``rows``, columns = ground truth then each of ``preds`` (e.g. baseline, activa).

    Returns a caption that reports, per SCM and panel, the means of p(Y | do(X=5)) and p(X | do(Y=5)).
    """
    d = truth.samples.shape[-1]
    if d != 2:
        raise ValueError(f"truth: the scatter figures need two variables, got d = {d}")
    _check_scms(scms, truth)
    for name, pred in preds.items():
        _check_pred(truth, pred, name)
    if not rows or min(rows) < 0 or max(rows) >= truth.samples.shape[0]:
        raise ValueError(f"rows: expected SCM rows in 0..{truth.samples.shape[0] - 1}, got {list(rows)}")
    columns = {"truth": truth, **preds}
    kind = graph_kind(scms.adjacency)
    obs = np.flatnonzero(truth.target < 0)[0]
    caption = []
    with paper_style():
        import matplotlib.pyplot as plt

        width = PAGE_IN if len(columns) > 2 else COLUMN_IN
        fig, axes = plt.subplots(len(rows), len(columns), figsize=(width, 1.9 * len(rows) + 0.3), squeeze=False,
                                 sharex="row", sharey="row", constrained_layout=True)
        for i, row in enumerate(rows):
            weight = scms.weights[row].sum()
            label = f"SCM {int(truth.scm[row])}: {kind[row]}" + (f" ({weight:+.2f})" if kind[row] != "no edge" else "")
            means = []
            for j, (name, data) in enumerate(columns.items()):
                ax = axes[i, j]
                o = truth.samples[row, obs]
                x5, y5 = _regime_samples(data, row, 0), _regime_samples(data, row, 1)
                ax.scatter(o[:, 0], o[:, 1], s=4, c=REGIME_COLOURS["observational"], label="observational", lw=0)
                ax.scatter(x5[:, 0], x5[:, 1], s=4, c=REGIME_COLOURS["do(X=5)"], label="do(X=5)", lw=0)
                ax.scatter(y5[:, 0], y5[:, 1], s=4, c=REGIME_COLOURS["do(Y=5)"], label="do(Y=5)", lw=0)
                if i == 0:
                    ax.set_title(METHOD_LABELS.get(name, name))
                if j == 0:
                    ax.set_ylabel(f"{label}\nY")
                ax.set_xlabel("X")
                means.append(f"{METHOD_LABELS.get(name, name)} E[Y | do(X=5)] = {x5[:, 1].mean():.2f}, "
                             f"E[X | do(Y=5)] = {y5[:, 0].mean():.2f}")
            caption.append(f"{label} (observational mean ({o[:, 0].mean():.2f}, {o[:, 1].mean():.2f})): "
                           + "; ".join(means) + ".")
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=3, markerscale=2,
                   frameon=False)
        if title:
            fig.suptitle(title)
        save(fig, paths)
    return "\n".join(caption)


def metric_distributions(frames: dict[str, pd.DataFrame], paths: list[str | Path], family_label: str) -> None:
    """ECDFs of MMD, WSD and ERG over the test pairs, one line per method (frames: method -> metrics)."""
    if not frames:
        raise ValueError("frames: expected metrics of at least one method")
    for method, frame in frames.items():
        missing = [m for m in ("mmd", "wsd", "erg") if m not in frame.columns]
        if missing or not len(frame):
            raise ValueError(f"frames['{method}']: expected columns mmd, wsd, erg and at least one row"
                             + (f"; lacks {', '.join(missing)}" if missing else ""))
    with paper_style():
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(PAGE_IN, 2.2), constrained_layout=True)
        for ax, (metric, label) in zip(axes, (("mmd", "MMD"), ("wsd", "WSD"), ("erg", "ERG"))):
            for method, frame in frames.items():
                values = np.sort(frame[metric].to_numpy())
                ax.step(values, np.arange(1, len(values) + 1) / len(values), where="post",
                        color=METHOD_COLOURS.get(method, "0.5"), label=METHOD_LABELS.get(method, method))
            ax.set_xlabel(f"{label} per (SCM, regime) pair")
            positive = all((frame[metric] > 0).all() for frame in frames.values())
            ax.set_xscale("log" if metric != "mmd" and positive else "linear")
        axes[0].set_ylabel("fraction of test pairs")
        fig.legend(*axes[0].get_legend_handles_labels(), frameon=False, loc="outside lower center",
                   ncol=min(len(frames), 3))
        fig.suptitle(f"{family_label}: distribution of the metrics over the test pairs")
        save(fig, paths)


def mean_calibration(scms: SCMTable, truth: Samples, preds: dict[str, Samples], paths: list[str | Path],
                     family_label: str) -> None:
    """Predicted vs closed-form interventional means of every non-target, one panel per method."""
    _check_scms(scms, truth)
    for name, pred in preds.items():
        _check_pred(truth, pred, name)
    inter = truth.interventional
    true = effects.closed_form(scms, truth)
    mu, is_desc = true.mean[:, inter], true.descendant[:, inter]
    target = truth.target[inter]
    non_target = np.broadcast_to(np.arange(mu.shape[-1])[None, None, :] != target[None, :, None], mu.shape)
    columns = {"truth": truth.samples[:, inter].mean(axis=2, dtype=np.float64)}
    columns.update({m: effects.aligned_means(truth, p, m) for m, p in preds.items()})
    with paper_style():
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(columns), figsize=(min(PAGE_IN, 2.2 * len(columns)), 2.3), sharex=True,
                                 sharey=True, constrained_layout=True, squeeze=False)
        lo, hi = np.percentile(mu[non_target], [0.5, 99.5])
        for ax, (name, means) in zip(axes[0], columns.items()):
            for mask, colour, label in ((is_desc & non_target, OKABE_ITO["blue"], "descendants"),
                                        (~is_desc & non_target, OKABE_ITO["vermillion"], "non-descendants")):
                error = np.abs(means[mask] - mu[mask]).mean()
                ax.scatter(mu[mask], means[mask], s=2, c=colour, alpha=0.4, lw=0, rasterized=True,
                           label=f"{label}: mean |error| {error:.2f}")
            ax.plot([lo, hi], [lo, hi], color="0.3", lw=0.6, ls="--")
            ax.set_xlim(lo - 1, hi + 1)
            ax.set_ylim(lo - 1, hi + 1)
            ax.set_title(METHOD_LABELS.get(name, name) + (" samples" if name == "truth" else ""))
            ax.set_xlabel("true interventional mean")
            ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), markerscale=3)
        axes[0, 0].set_ylabel("predicted mean")
        fig.suptitle(f"{family_label}: predicted against true means of the non-targets")
        save(fig, paths)


FIGURE_SETS = {
    "ecdf": ("metric_ecdf",),  # any family: metrics only
    "summary": ("mean_calibration",),
    "scatter": ("scms", "example_edge", "example_no_edge"),  # two variables only
}


def family_figures(kind: str, scms: SCMTable, truth: Samples, preds: dict[str, Samples],
                   metrics: dict[str, pd.DataFrame], out_dir: str | Path, family: str, label: str) -> str | None:
    """Figure set ``kind`` of one family into ``out_dir/<family>_<name>.{pdf,png}``.

    ecdf (any family; needs ``metrics`` only): metric_ecdf. summary (linear): mean_calibration. scatter (two variables): scms (v1 Figures 4 and 5: four SCMs),
    example_edge (v2 Figure 2: the first Y→X SCM with a negative weight, as there, else the first Y→X one),
    example_no_edge (v1 Figure 3: the first SCM without an edge); returns their Markdown captions with the
    panel means.
    """
    out_dir = Path(out_dir)

    def paths(name):
        return [out_dir / f"{family}_{name}.pdf", out_dir / f"{family}_{name}.png"]

    if kind == "ecdf":
        metric_distributions(metrics, paths("metric_ecdf"), label)
        return None
    if kind == "summary":
        mean_calibration(scms, truth, preds, paths("mean_calibration"), label)
        return None
    if kind != "scatter":
        raise ValueError(f"kind: expected one of {', '.join(FIGURE_SETS)}, got {kind!r}")
    captions = [f"# Scatter figures of {label}", "",
                "X is V0, Y is V1. Turquoise: the ground truth's observational samples (in every panel); blue: "
                "samples under do(X=5); brown: under do(Y=5). Means per panel:", ""]
    for name, rows in (("scms", choose_scms(scms)), ("example_edge", [choose_example(scms, "Y→X", sign=-1)]),
                       ("example_no_edge", [choose_example(scms, "no edge")])):
        text = interventional_scatter(truth, preds, scms, rows, paths(name), title=label)
        captions += [f"## {family}_{name}", "", text, ""]
    return "\n".join(captions)


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
