"""Metric tables in three formats (CSV, Markdown, LaTeX): rows are datasets, column groups are methods.

``table1``: ACTIVA v2 Table 1 (rows Gauss 2 ... OOD; MMD/WSD/ERG for ACTIVA and the baseline).
``latents``: ACTIVA predicting with each number of latents of ``activa.inference.methods`` (v2 text: 50
prior latents; v2 Table 1's caption: one), the two readings of the paper.

A cell is the mean of the metric over all (test SCM, interventional regime) pairs of that family. A cell
whose metrics file does not exist yet (a model not trained, a dataset not simulated) is left empty in the
CSV and printed as an en dash in Markdown and LaTeX: never filled in. The lowest value of a metric in a
row is set in bold when more than one method has a value.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from activa.data.format import DataError, write_text
from activa.eval.scoring import read_metrics

METHODS = (("activa", "ACTIVA"), ("baseline", "Baseline"))
METRICS = (("mmd", "MMD", 2), ("wsd", "WSD", 1), ("erg", "ERG", 1))
Methods = tuple[tuple[str, str], ...]  # (method key, column-group label)


def methods_of(name: str, config: dict) -> Methods:
    """The column groups of table ``name`` (``table1`` or ``latents``)."""
    if name == "table1":
        return METHODS
    if name == "latents":
        methods = config["activa"]["inference"]["methods"]
        return tuple((method, f"ACTIVA, {n} latent{'s' if n != 1 else ''}") for method, n in methods.items())
    raise ValueError(f"unknown table '{name}', expected table1 or latents")


def metric_files(paths: list[str | Path], allowed: set[str], name: str) -> dict[tuple[str, str], Path]:
    """(method, family) -> metrics file, from each file's metadata; a method outside ``allowed`` is an error."""
    files = {}
    for path in paths:
        meta = read_metrics(path)[1]
        key = (meta.get("method"), meta.get("family"))
        if None in key:
            raise DataError(f"{path}: metadata lacks 'method' or 'family'")
        if key[0] not in allowed:
            raise DataError(f"{path}: method '{key[0]}' is not a column of table {name} "
                            f"(expected {', '.join(sorted(allowed))})")
        files[key] = Path(path)
    return files


def collect(rows: list[dict], metric_files: dict[tuple[str, str], str | Path], methods: Methods = METHODS) -> pd.DataFrame:
    """Mean metrics per (row, method): columns data, <method>_<metric>, <method>_pairs.

    rows: the config's ``table1.rows`` ({key, label}); metric_files: (method, family key) -> metrics file.
    """
    records = []
    for row in rows:
        record = {"key": row["key"], "data": row["label"]}
        for method, _ in methods:
            path = metric_files.get((method, row["key"]))
            frame = read_metrics(path)[0] if path is not None else None
            for metric, _, _ in METRICS:
                record[f"{method}_{metric}"] = float(frame[metric].mean()) if frame is not None else math.nan
            record[f"{method}_pairs"] = len(frame) if frame is not None else 0
        records.append(record)
    return pd.DataFrame.from_records(records)


def _cells(table: pd.DataFrame, bold, dash: str, methods: Methods) -> list[list[str]]:
    out = []
    for _, row in table.iterrows():
        cells = [row["data"]]
        best = {}
        for metric, _, _ in METRICS:
            present = [row[f"{m}_{metric}"] for m, _ in methods if not math.isnan(row[f"{m}_{metric}"])]
            best[metric] = min(present) if len(present) > 1 else None
        for method, _ in methods:
            for metric, _, digits in METRICS:
                value = row[f"{method}_{metric}"]
                if math.isnan(value):
                    cells.append(dash)
                    continue
                text = f"{value:.{digits}f}"
                cells.append(bold(text) if best[metric] is not None and np.isclose(value, best[metric]) else text)
        out.append(cells)
    return out


def to_markdown(table: pd.DataFrame, methods: Methods = METHODS) -> str:
    header = ["Data"] + [f"{name} {label}" for _, name in methods for _, label, _ in METRICS]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in _cells(table, lambda t: f"**{t}**", "–", methods)]
    note = ("\nMean over all (test SCM, interventional regime) pairs; lower is better. "
            "– = not computed yet (no metrics file for that model or dataset).\n")
    return "\n".join(lines) + "\n" + note


def _latex_escape(text: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#")):
        text = text.replace(char, escaped)
    return text


def to_latex(table: pd.DataFrame, methods: Methods = METHODS) -> str:
    n = len(METRICS)
    lines = [
        r"\begin{tabular}{l" + "r" * (n * len(methods)) + "}",
        r"\toprule",
        "Data & " + " & ".join(rf"\multicolumn{{{n}}}{{c}}{{{name}}}" for _, name in methods) + r" \\",
        " ".join(rf"\cmidrule(lr){{{2 + i * n}-{1 + (i + 1) * n}}}" for i in range(len(methods))),
        " & " + " & ".join(label for _ in methods for _, label, _ in METRICS) + r" \\",
        r"\midrule",
    ]
    for cells in _cells(table, lambda t: rf"\textbf{{{t}}}", "--", methods):
        lines.append(" & ".join([_latex_escape(cells[0])] + cells[1:]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def write_formats(table: pd.DataFrame, prefix: str | Path, markdown: str, latex: str) -> list[Path]:
    """Write ``<prefix>.csv`` (from ``table``), ``.md`` and ``.tex`` atomically; returns the paths."""
    paths = [Path(prefix).with_suffix(s) for s in (".csv", ".md", ".tex")]
    for path, text in zip(paths, (table.to_csv(index=False, float_format="%.6g"), markdown, latex)):
        write_text(path, text)
    return paths


def write_table(table: pd.DataFrame, prefix: str | Path, methods: Methods = METHODS) -> list[Path]:
    """Table 1's layout in CSV, Markdown and LaTeX (``write_formats``)."""
    return write_formats(table, prefix, to_markdown(table, methods), to_latex(table, methods))


# Tables in ACTIVA v1's layout: one row per (dataset, method), columns MMD, WSD, ERG and the mean p-value
# of the energy permutation test. Lowest MMD/WSD/ERG within a dataset in bold; p is not a score, never bold.
V1_METRICS = (("mmd", "MMD", 2), ("wsd", "WSD", 2), ("erg", "ERG", 2), ("p_value", "p", 3))


def collect_v1(spec: dict, metric_files: dict[tuple[str, str], str | Path]) -> pd.DataFrame:
    """Rows (dataset, method) of a v1-layout table: columns group, key, method, label, metrics, pairs.

    spec: one entry of the config's ``v1_tables`` ({title, note, rows: [{key, label, methods}]}).
    """
    records = []
    for row in spec["rows"]:
        for method, label in row["methods"].items():
            path = metric_files.get((method, row["key"]))
            frame = read_metrics(path)[0] if path is not None else None
            record = {"group": row["label"], "key": row["key"], "method": method, "label": label}
            for metric, _, _ in V1_METRICS:
                record[metric] = float(frame[metric].mean()) if frame is not None else math.nan
            record["pairs"] = len(frame) if frame is not None else 0
            records.append(record)
    return pd.DataFrame.from_records(records)


def _v1_cells(table: pd.DataFrame, bold, dash: str) -> list[list[str]]:
    out = []
    for key, group in table.groupby("key", sort=False):
        best = {m: group[m].min() if group[m].notna().sum() > 1 else None for m, _, _ in V1_METRICS[:3]}
        for i, (_, row) in enumerate(group.iterrows()):
            cells = [row["group"] if i == 0 else "", row["label"]]
            for metric, _, digits in V1_METRICS:
                value = row[metric]
                if math.isnan(value):
                    cells.append(dash)
                    continue
                text = f"{value:.{digits}f}"
                b = best.get(metric)
                cells.append(bold(text) if b is not None and np.isclose(value, b) else text)
            out.append(cells)
    return out


def v1_to_markdown(table: pd.DataFrame, spec: dict) -> str:
    header = ["Data", "Method"] + [label for _, label, _ in V1_METRICS]
    lines = [f"**{spec['title']}**", "", "| " + " | ".join(header) + " |",
             "|" + "|".join(["---", "---"] + ["---:"] * len(V1_METRICS)) + "|"]
    lines += ["| " + " | ".join(c) + " |" for c in _v1_cells(table, lambda t: f"**{t}**", "–")]
    lines += ["", f"{spec['note']} Mean over all (test SCM, interventional regime) pairs; p is the mean p-value "
              "of the energy permutation test. – = not computed yet.", ""]
    return "\n".join(lines)


def v1_to_latex(table: pd.DataFrame, spec: dict) -> str:
    lines = [r"\begin{tabular}{ll" + "r" * len(V1_METRICS) + "}", r"\toprule",
             "Data & Method & " + " & ".join(label for _, label, _ in V1_METRICS) + r" \\", r"\midrule"]
    for cells in _v1_cells(table, lambda t: rf"\textbf{{{t}}}", "--"):
        lines.append(" & ".join([_latex_escape(cells[0]), _latex_escape(cells[1])] + cells[2:]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def write_v1_table(table: pd.DataFrame, prefix: str | Path, spec: dict) -> list[Path]:
    """A v1 table's layout in CSV, Markdown and LaTeX (``write_formats``)."""
    return write_formats(table, prefix, v1_to_markdown(table, spec), v1_to_latex(table, spec))


# Training cost of the trained variants, from their model files and per-step logs.
COST_COLUMNS = ("variant", "architecture", "family", "parameters", "batch_scms", "items_per_step", "steps",
                "train_s", "steps_per_s", "final_loss", "final_recon", "trained_on")


def trained_on(meta: dict) -> str:
    """'cpu, JAX 0.10.2' / 'NVIDIA H100 80GB HBM3, JAX 0.11.2' from a model file's "written_by"; older files lack it."""
    env = meta.get("written_by")
    if not env:
        return "not recorded"
    device = env["backend"] if env["backend"] == "cpu" else env["device"]
    return f"{device}, JAX {env['jax']}"


def training_cost(runs: list[tuple[str, dict, int, pd.DataFrame]], config: dict) -> pd.DataFrame:
    """One row per variant: (variant, model-file metadata, parameter count, train log) -> cost columns.

    items_per_step: datasets the loss sees per step (batch_size SCMs, times d * |I| with regimes "all").
    train_s: sum over steps of 1 / steps_per_s (time inside the jitted steps, compilation included).
    final_loss / final_recon: means over the last 10% of steps (recon: -log p per sample).
    """
    records = []
    for variant, meta, n_params, log in runs:
        tcfg, family = meta["train_config"], config["families"].get(meta["family"], {})
        n_int = family.get("n_vars", 0) * len(family.get("intervention_values", ()))
        tail = log.iloc[-max(1, len(log) // 10):]
        records.append({
            "variant": variant, "architecture": meta.get("architecture", "v2"), "family": meta["family"],
            "parameters": n_params, "batch_scms": tcfg["batch_size"],
            "items_per_step": tcfg["batch_size"] * (n_int if tcfg.get("regimes") == "all" else 1),
            "steps": len(log), "train_s": float((1.0 / log["steps_per_s"]).sum()),
            "steps_per_s": float(log["steps_per_s"].median()), "final_loss": float(tail["loss"].mean()),
            "final_recon": float(tail["recon"].mean()), "trained_on": trained_on(meta)})
    return pd.DataFrame.from_records(records, columns=COST_COLUMNS)


def training_cost_markdown(table: pd.DataFrame) -> str:
    lines = ["**Training cost of the trained ACTIVA variants**", "",
             "| Variant | Architecture | Data | Parameters | SCMs / step | Items / step | Steps | Train s | Steps / s "
             "| Final loss | Final -log p per sample | Trained on |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for _, r in table.iterrows():
        lines.append(f"| {r['variant']} | {r['architecture']} | {r['family']} | {r['parameters']:,} "
                     f"| {r['batch_scms']} | {r['items_per_step']} | {r['steps']:,} | {r['train_s']:.0f} "
                     f"| {r['steps_per_s']:.2f} "
                     f"| {r['final_loss']:.3g} | {r['final_recon']:.3f} | {r['trained_on']} |")
    lines += ["", "Items / step: datasets the loss sees per step (v1 trains on every interventional regime of each "
              "SCM, v2 on one). Train s: time inside the jitted training steps, compilation included, on the "
              "machine that ran the job (Trained on: its JAX backend or GPU, and JAX version). Final loss and -log p: means over the last 10% of steps; the two "
              "architectures' losses differ in form (v2 sums -log p over a dataset's samples, v1 averages), so "
              "compare -log p per sample.", ""]
    return "\n".join(lines)
