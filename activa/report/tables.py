"""Metric tables in three formats (CSV, Markdown, LaTeX): rows are datasets, column groups are methods.

``table1``: ACTIVA v2 Table 1 (rows Gauss 2 ... OOD; MMD/WSD/ERG for ACTIVA and the baseline).
``latents``: ACTIVA predicting with each number of latents of ``activa.inference.methods`` (v2 text: 50
prior latents; v2 Table 1's caption: one), the two readings of the paper.

A cell is the mean of the metric over all (test SCM, interventional regime) pairs of that family, with its
bootstrap interval over test SCMs (``activa.eval.intervals``; ``_lo``/``_hi`` in the CSV, ± half its width in
Markdown and LaTeX). A cell is bold when it beats its comparators (a method: the baseline; the baseline: every
other method; without a baseline: every other method) by a lower mean and a paired Wilcoxon test over test
SCMs (``_p`` and ``_better`` in the CSV). A cell whose metrics file does not exist yet (a model not trained, a
dataset not simulated) is left empty in the CSV and printed as an en dash in Markdown and LaTeX: never filled in.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from activa.data.format import DataError, write_text
from activa.data.scm import seed_sequence
from activa.eval.intervals import (EFFECTS, better, bootstrap_interval, comparators, per_scm, per_scm_effect,
                                   wilcoxon_less)
from activa.eval.scoring import read_metrics

METHODS = (("activa", "ACTIVA"), ("baseline", "Baseline"))
METRICS = (("mmd", "MMD", 2), ("wsd", "WSD", 1), ("erg", "ERG", 1))
# The causal effect (activa.eval.effects): mean |predicted mean - true mean| on the target's descendants and
# non-descendants, a cell like a metric's (interval, paired test), after the paper's columns.
EFFECT_METRICS = (("desc", "Desc.", 2), ("nondesc", "Non-desc.", 2))
Methods = tuple[tuple[str, str], ...]  # (method key, column-group label)


def methods_of(name: str, config: dict) -> Methods:
    """The column groups of table ``name`` (``table1`` or ``latents``)."""
    if name == "table1":
        return METHODS
    if name == "latents":
        methods = config["activa"]["inference"]["methods"]
        return tuple((method, f"ACTIVA, {n} latent{'s' if n != 1 else ''}") for method, n in methods.items())
    raise ValueError(f"unknown table '{name}', expected table1 or latents")


def metric_files(paths: list[str | Path], allowed: set[str], name: str, external: bool = False
                 ) -> dict[tuple[str, str], Path]:
    """(method, family) -> metrics file, from each file's metadata; a method outside ``allowed`` is an error
    (``external``: unless it is a reference method from outside the package, whose predictions carry a label)."""
    files = {}
    for path in paths:
        meta = read_metrics(path)[1]
        key = (meta.get("method"), meta.get("family"))
        if None in key:
            raise DataError(f"{path}: metadata lacks 'method' or 'family'")
        if key[0] not in allowed and not (external and "label" in meta and "sees" in meta):
            raise DataError(f"{path}: method '{key[0]}' is not a column of table {name} "
                            f"(expected {', '.join(sorted(allowed))})")
        files[key] = Path(path)
    return files


def cell_stats(frames: dict[str, pd.DataFrame], metrics, intervals: dict, seed: int, key: str
               ) -> dict[str, dict[str, float]]:
    """Per method of one row (frames: method -> its metrics): <metric>, <metric>_lo/_hi (bootstrap interval over
    SCMs, stream (seed, "bootstrap", key, method, metric)), <metric>_p and _better (``intervals.better`` against
    ``intervals.comparators``)."""
    out = {m: {} for m in frames}
    against = comparators(list(frames))
    for metric in metrics:
        if metric in EFFECTS:  # a mean over (regime, variable) triples: per SCM sum / count, SCMs without any left out
            parts = {m: per_scm_effect(f, metric) for m, f in frames.items()}
            scm_means = {m: (sums / counts)[counts > 0] for m, (sums, counts) in parts.items()}
        else:
            scm_means = {m: per_scm(f, metric) for m, f in frames.items()}
        tests = better(scm_means, against, intervals["alpha"])
        for method, frame in frames.items():
            stream = seed_sequence(seed, "bootstrap", key, method, metric)
            if metric in EFFECTS:
                sums, counts = parts[method]
                value = float(sums.sum() / counts.sum()) if counts.sum() else math.nan
                lo, hi = bootstrap_interval(sums.to_numpy(), intervals["replicates"], intervals["level"], stream,
                                            counts=counts.to_numpy())
            else:
                value = float(frame[metric].mean())
                lo, hi = bootstrap_interval(scm_means[method].to_numpy(), intervals["replicates"], intervals["level"],
                                            stream)
            out[method].update({metric: value, f"{metric}_lo": lo, f"{metric}_hi": hi,
                                f"{metric}_p": tests[method][0], f"{metric}_better": tests[method][1]})
    return out


CELL_STATS = ("", "_lo", "_hi", "_p", "_better")
AGAINST_METRICS = (("mmd", "MMD", 2), ("wsd", "WSD", 2), ("erg", "ERG", 2), *EFFECT_METRICS)


def _scm_means(frame: pd.DataFrame, metric: str) -> pd.Series:
    if metric in EFFECTS:
        sums, counts = per_scm_effect(frame, metric)
        return (sums / counts)[counts > 0]
    return per_scm(frame, metric)


def against(frames: dict[str, pd.DataFrame], reference: str, others: list[str], intervals: dict, seed: int,
            key: str) -> list[dict]:
    """Each method of ``others`` against ``reference`` (ACTIVA) on the SCMs both predict: per metric, the mean over
    those SCMs of (other - reference) per-SCM means, its bootstrap interval, and the one-sided paired Wilcoxon
    p-values that the other is lower (``<metric>_p_lower``) and higher (``_p_higher``). One dict per method."""
    records = []
    for other in others:
        record = {"method": other, "against": reference}
        for metric, _, _ in AGAINST_METRICS:
            a, b = _scm_means(frames[other], metric), _scm_means(frames[reference], metric)
            shared = a.index.intersection(b.index)
            diff = (a[shared] - b[shared]).to_numpy()
            lo, hi = bootstrap_interval(diff, intervals["replicates"], intervals["level"],
                                        seed_sequence(seed, "against", key, other, reference, metric))
            record.update({metric: float(diff.mean()) if len(diff) else math.nan, f"{metric}_lo": lo,
                           f"{metric}_hi": hi, f"{metric}_p_lower": wilcoxon_less(a, b)[0],
                           f"{metric}_p_higher": wilcoxon_less(b, a)[0]})
            record["scms"] = len(shared)
        records.append(record)
    return records


def against_cells(record, alpha: float, bold, pm: str, dash: str) -> list[str]:
    """A row of ``against``'s cells: the difference ± half its interval, bold where the method is significantly
    lower than ACTIVA, a dagger where ACTIVA is significantly lower."""
    cells = []
    for metric, _, digits in AGAINST_METRICS:
        value = record[metric]
        if value is None or math.isnan(value):
            cells.append(dash)
            continue
        text = f"{value:+.{digits}f}{pm}{(record[metric + '_hi'] - record[metric + '_lo']) / 2:.{digits}f}"
        if record[metric + "_p_lower"] < alpha and value < 0:
            text = bold(text)
        elif record[metric + "_p_higher"] < alpha and value > 0:
            text += "†"
        cells.append(text)
    return cells


AGAINST_NOTE = ("Against ACTIVA: each method's per-SCM mean minus ACTIVA's, averaged over the test SCMs both predict "
                "(negative: the method is closer to the truth), ± half its bootstrap interval; bold: the method is "
                "lower than ACTIVA, †: ACTIVA is lower, each by a one-sided paired Wilcoxon signed-rank test over "
                "those SCMs at alpha.")


def collect(rows: list[dict], metric_files: dict[tuple[str, str], str | Path], methods: Methods, intervals: dict,
            seed: int) -> pd.DataFrame:
    """Per (row, method): columns data, <method>_<metric> (mean over pairs; the effects: over triples), _lo / _hi
    (bootstrap interval over SCMs), _p (Wilcoxon p-value of beating the baseline, or for the baseline every other
    method), <method>_pairs; metrics ``METRICS`` then ``EFFECT_METRICS``.

    rows: the config's ``table1.rows`` ({key, label}); metric_files: (method, family key) -> metrics file;
    intervals: the config's ``intervals``; seed: the config's seed (the bootstrap's streams).
    """
    records = []
    for row in rows:
        record = {"key": row["key"], "data": row["label"]}
        frames = {m: read_metrics(metric_files[(m, row["key"])])[0] for m, _ in methods
                  if (m, row["key"]) in metric_files}
        cells = cell_stats(frames, [m for m, _, _ in METRICS + EFFECT_METRICS], intervals, seed, row["key"])
        for method, _ in methods:
            for metric, _, _ in METRICS + EFFECT_METRICS:
                for suffix in CELL_STATS:
                    record[f"{method}_{metric}{suffix}"] = cells.get(method, {}).get(metric + suffix, math.nan)
            record[f"{method}_pairs"] = len(frames[method]) if method in frames else 0
        records.append(record)
    return pd.DataFrame.from_records(records)


def format_cell(value: float, lo: float, hi: float, better: bool, digits: int, bold, pm: str, dash: str) -> str:
    """'0.30 ± 0.021' (half-width of the interval, one more digit), the value bold when ``better``."""
    if math.isnan(value):
        return dash
    text = f"{value:.{digits}f}"
    text = bold(text) if better else text
    return text if math.isnan(lo) else f"{text}{pm}{(hi - lo) / 2:.{digits + 1}f}"


def _columns(methods: Methods) -> list[tuple[str, str, int]]:
    """(column, header, digits) of Table 1's layout: the paper's (per method: MMD, WSD, ERG), then per effect
    (descendants, non-descendants) one column per method."""
    paper = [(f"{m}_{metric}", f"{name} {label}", digits) for m, name in methods for metric, label, digits in METRICS]
    return paper + [(f"{m}_{metric}", f"{label} {name}", digits) for metric, label, digits in EFFECT_METRICS
                    for m, name in methods]


def _cells(table: pd.DataFrame, bold, pm: str, dash: str, methods: Methods) -> list[list[str]]:
    out = []
    for _, row in table.iterrows():
        cells = [row["data"]]
        for c, _, digits in _columns(methods):
            cells.append(format_cell(row[c], row[c + "_lo"], row[c + "_hi"], row[c + "_better"], digits, bold, pm,
                                     dash))
        out.append(cells)
    return out


EFFECT_NOTE = ("Desc. / Non-desc.: the causal effect, the mean |predicted mean - true mean| of the target's "
               "descendants / non-descendants (the target itself excluded) over (test SCM, interventional regime, "
               "variable) triples, true means in closed form on the linear families and pooled over independent "
               "runs on SERGIO (results/effects/); interval and test as for the distances, the SCM's mean over its "
               "triples being the unit.")


BOLD_AGAINST_BASELINE = "a lower mean than the baseline's (the baseline's cell: than every other method's)"


def interval_note(intervals: dict, bold_rule: str = BOLD_AGAINST_BASELINE) -> str:
    """The note under a table: what the ± and the bold mean (``bold_rule``: whom a bold cell beats)."""
    level = f"{intervals['level']:.0%}"
    return (f"Mean over all (test SCM, interventional regime) pairs, ± half the {level} bootstrap interval "
            f"(test SCMs resampled, {intervals['replicates']} times); lower is better. Bold: {bold_rule} on the "
            f"SCMs both have, and lower by a one-sided Wilcoxon signed-rank test paired by test SCM, p < "
            f"{intervals['alpha']:g}. The SCM is the unit of both, since the regimes of one SCM share its "
            "observational samples.")


def to_markdown(table: pd.DataFrame, intervals: dict, methods: Methods = METHODS) -> str:
    header = ["Data"] + [h for _, h, _ in _columns(methods)]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(cells) + " |"
              for cells in _cells(table, lambda t: f"**{t}**", " ± ", "–", methods)]
    rule = BOLD_AGAINST_BASELINE if "baseline" in dict(methods) else "a lower mean than every other column group's"
    note = (f"{interval_note(intervals, rule)} {EFFECT_NOTE} – = not computed yet (no metrics file for that model or "
            "dataset).")
    return "\n".join(lines) + "\n\n" + note + "\n"


def latex_escape(text: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#")):
        text = text.replace(char, escaped)
    return text


def to_latex(table: pd.DataFrame, intervals: dict, methods: Methods = METHODS) -> str:
    n, k = len(METRICS), len(methods)
    groups = [name for _, name in methods] + ["Mean error, descendants", "Mean error, non-descendants"]
    widths = [n] * k + [k] * len(EFFECT_METRICS)
    starts = [2 + sum(widths[:i]) for i in range(len(widths))]
    lines = [
        r"\begin{tabular}{l" + "r" * sum(widths) + "}",
        r"\toprule",
        "Data & " + " & ".join(rf"\multicolumn{{{w}}}{{c}}{{{g}}}" for g, w in zip(groups, widths)) + r" \\",
        " ".join(rf"\cmidrule(lr){{{a}-{a + w - 1}}}" for a, w in zip(starts, widths)),
        " & " + " & ".join([label for _ in methods for _, label, _ in METRICS]
                           + [name for _ in EFFECT_METRICS for _, name in methods]) + r" \\",
        r"\midrule",
    ]
    for cells in _cells(table, lambda t: rf"\textbf{{{t}}}", r"\,{\scriptsize$\pm$", "--", methods):
        lines.append(" & ".join([latex_escape(cells[0])] + [close_pm(c) for c in cells[1:]]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def close_pm(cell: str) -> str:
    """Close the LaTeX group that format_cell's ``pm`` opened."""
    return cell + "}" if r"{\scriptsize" in cell else cell


def write_formats(table: pd.DataFrame, prefix: str | Path, markdown: str, latex: str) -> list[Path]:
    """Write ``<prefix>.csv`` (from ``table``), ``.md`` and ``.tex`` atomically; returns the paths."""
    paths = [Path(prefix).with_suffix(s) for s in (".csv", ".md", ".tex")]
    for path, text in zip(paths, (table.to_csv(index=False, float_format="%.6g"), markdown, latex)):
        write_text(path, text)
    return paths


def write_table(table: pd.DataFrame, prefix: str | Path, intervals: dict, methods: Methods = METHODS) -> list[Path]:
    """Table 1's layout in CSV, Markdown and LaTeX (``write_formats``)."""
    return write_formats(table, prefix, to_markdown(table, intervals, methods), to_latex(table, intervals, methods))


# Tables in ACTIVA v1's layout: one row per (dataset, method), columns MMD, WSD, ERG and the mean p-value
# of the energy permutation test. Lowest MMD/WSD/ERG within a dataset in bold; p is not a score, never bold.
V1_METRICS = (("mmd", "MMD", 2), ("wsd", "WSD", 2), ("erg", "ERG", 2), ("p_value", "p", 3), *EFFECT_METRICS)


def collect_v1(spec: dict, metric_files: dict[tuple[str, str], str | Path], intervals: dict, seed: int,
               metrics=V1_METRICS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows (dataset, method) of a v1-layout table: columns group, key, method, label, each metric with its
    _lo / _hi (bootstrap interval over SCMs) and _p (as in ``collect``; none for the p-value), pairs, scms; and
    the reference methods of each row against its ACTIVA models (``against``; columns group, key, against, ...).

    spec: one entry of the config's ``v1_tables`` ({title, note, rows: [{key, label, methods}]}). After a row's own
    methods come the reference methods (``activa.eval.methods``) with a metrics file of that dataset.
    """
    from activa.eval.methods import label_of, sees_of, table_order

    records, versus = [], []
    scores = [m for m, _, _ in metrics if m != "p_value"]
    for row in spec["rows"]:
        loaded = {m: read_metrics(path) for (m, k), path in metric_files.items() if k == row["key"]}
        extra = table_order([m for m in loaded if m not in row["methods"]],
                            {m: sees_of(m, meta) for m, (_, meta) in loaded.items()})
        labels = {**row["methods"], **{m: label_of(m, loaded[m][1]) for m in extra}}
        frames = {m: loaded[m][0] for m in labels if m in loaded}
        cells = cell_stats(frames, scores, intervals, seed, row["key"])
        for method, label in labels.items():
            frame = frames.get(method)
            record = {"group": row["label"], "key": row["key"], "method": method, "label": label}
            for metric, _, _ in metrics:
                if metric == "p_value":
                    record[metric] = float(frame[metric].mean()) if frame is not None else math.nan
                    continue
                for suffix in CELL_STATS:
                    record[metric + suffix] = cells.get(method, {}).get(metric + suffix, math.nan)
            record["pairs"] = len(frame) if frame is not None else 0
            record["scms"] = frame["scm"].nunique() if frame is not None else 0
            records.append(record)
        models = [m for m in row["methods"] if m != "baseline" and m in frames]
        for model in models:
            for record in against(frames, model, [m for m in extra if m in frames], intervals, seed, row["key"]):
                versus.append({"group": row["label"], "key": row["key"], "label": labels[record["method"]],
                               "against_label": labels[model], **record})
    return pd.DataFrame.from_records(records), pd.DataFrame.from_records(versus)


def _v1_cells(table: pd.DataFrame, bold, pm: str, dash: str, metrics=V1_METRICS) -> list[list[str]]:
    out = []
    for _, group in table.groupby("key", sort=False):
        for i, (_, row) in enumerate(group.iterrows()):
            cells = [row["group"] if i == 0 else "", row["label"], f"{row['scms']:,}" if row["scms"] else "–"]
            for metric, _, digits in metrics:
                if metric == "p_value":
                    cells.append(dash if math.isnan(row[metric]) else f"{row[metric]:.{digits}f}")
                    continue
                cells.append(format_cell(row[metric], row[metric + "_lo"], row[metric + "_hi"],
                                         row[metric + "_better"], digits, bold, pm, dash))
            out.append(cells)
    return out


def _against_rows(versus: pd.DataFrame, alpha: float, bold, pm: str, dash: str) -> list[list[str]]:
    out = []
    for _, group in versus.groupby(["key", "against"], sort=False):
        for i, (_, r) in enumerate(group.iterrows()):
            out.append([r["group"] if i == 0 else "", r["label"], r["against_label"], f"{r['scms']:,}",
                        *against_cells(r, alpha, bold, pm, dash)])
    return out


AGAINST_HEADER = ["Data", "Method", "against", "SCMs"] + [label for _, label, _ in AGAINST_METRICS]


def v1_to_markdown(table: pd.DataFrame, spec: dict, intervals: dict, versus: pd.DataFrame | None = None) -> str:
    header = ["Data", "Method", "SCMs"] + [label for _, label, _ in V1_METRICS]
    lines = [f"**{spec['title']}**", "", "| " + " | ".join(header) + " |",
             "|" + "|".join(["---", "---", "---:"] + ["---:"] * len(V1_METRICS)) + "|"]
    lines += ["| " + " | ".join(c) + " |" for c in _v1_cells(table, lambda t: f"**{t}**", " ± ", "–")]
    note = (f"{spec['note']} {interval_note(intervals)} p is the mean p-value of the energy permutation "
            f"test (not a score, never bold). {EFFECT_NOTE} – = not computed yet.")
    if versus is not None and len(versus):
        lines += ["", "**The methods a researcher would run instead, against ACTIVA**", "",
                  "| " + " | ".join(AGAINST_HEADER) + " |", "|---|---|---|" + "---:|" * (len(AGAINST_HEADER) - 3)]
        lines += ["| " + " | ".join(c) + " |"
                  for c in _against_rows(versus, intervals["alpha"], lambda t: f"**{t}**", " ± ", "–")]
        note += f" {AGAINST_NOTE} The reference methods: docs/evaluation.md, \"Reference methods\"."
    return "\n".join(lines + ["", note, ""])


def v1_to_latex(table: pd.DataFrame, spec: dict, intervals: dict) -> str:
    lines = [r"\begin{tabular}{llr" + "r" * len(V1_METRICS) + "}", r"\toprule",
             "Data & Method & SCMs & " + " & ".join(label for _, label, _ in V1_METRICS) + r" \\", r"\midrule"]
    for cells in _v1_cells(table, lambda t: rf"\textbf{{{t}}}", r"\,{\scriptsize$\pm$", "--"):
        lines.append(" & ".join([latex_escape(c) for c in cells[:3]] + [close_pm(c) for c in cells[3:]]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def write_v1_table(table: pd.DataFrame, prefix: str | Path, spec: dict, intervals: dict,
                   versus: pd.DataFrame | None = None) -> list[Path]:
    """A v1 table's layout in CSV, Markdown and LaTeX (``write_formats``); ``versus``: ``collect_v1``'s second frame,
    in the Markdown."""
    return write_formats(table, prefix, v1_to_markdown(table, spec, intervals, versus),
                         v1_to_latex(table, spec, intervals))


# Training cost of the trained variants, from their model files and per-step logs.
COST_COLUMNS = ("variant", "architecture", "family", "parameters", "batch_scms", "items_per_step", "steps",
                "total_steps", "runs", "precision", "recipe", "train_s", "steps_per_s", "final_loss", "final_recon",
                "trained_on")


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
    steps: the log's; total_steps and runs: over the model's lineage (``activa.model.lineage``; a warm-started
    model's earlier runs count); precision and recipe: of its last run.
    train_s: sum over steps of 1 / steps_per_s (time inside the jitted steps, compilation included).
    final_loss / final_recon: means over the last 10% of steps (recon: -log p per sample).
    """
    from activa.model import lineage

    records = []
    for variant, meta, n_params, log in runs:
        tcfg, family = meta["train_config"], config["families"].get(meta["family"], {})
        history = lineage.of(meta)
        n_int = family.get("n_vars", 0) * len(family.get("intervention_values", ()))
        tail = log.iloc[-max(1, len(log) // 10):]
        records.append({
            "variant": variant, "architecture": meta.get("architecture", "v2"), "family": meta["family"],
            "parameters": n_params, "batch_scms": tcfg["batch_size"],
            "items_per_step": tcfg["batch_size"] * (n_int if tcfg.get("regimes") == "all" else 1),
            "steps": len(log), "total_steps": lineage.total_steps(history), "runs": len(history),
            "precision": history[-1]["precision"], "recipe": history[-1]["recipe"]["name"],
            "train_s": float((1.0 / log["steps_per_s"]).sum()),
            "steps_per_s": float(log["steps_per_s"].median()), "final_loss": float(tail["loss"].mean()),
            "final_recon": float(tail["recon"].mean()), "trained_on": trained_on(meta)})
    return pd.DataFrame.from_records(records, columns=COST_COLUMNS)


def training_cost_markdown(table: pd.DataFrame) -> str:
    lines = ["**Training cost of the trained ACTIVA variants**", "",
             "| Variant | Architecture | Data | Parameters | SCMs / step | Items / step | Steps | Total steps (runs) "
             "| Precision, recipe | Train s | Steps / s | Final loss | Final -log p per sample | Trained on |",
             "|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|"]
    for _, r in table.iterrows():
        lines.append(f"| {r['variant']} | {r['architecture']} | {r['family']} | {r['parameters']:,} "
                     f"| {r['batch_scms']} | {r['items_per_step']} | {r['steps']:,} | {r['total_steps']:,} ({r['runs']}) "
                     f"| {r['precision']}, {r['recipe']} | {r['train_s']:.0f} "
                     f"| {r['steps_per_s']:.2f} "
                     f"| {r['final_loss']:.3g} | {r['final_recon']:.3f} | {r['trained_on']} |")
    lines += ["", "Items / step: datasets the loss sees per step (v1 trains on every interventional regime of each "
              "SCM, v2 on one). Train s: time inside the jitted training steps, compilation included, on the "
              "machine that ran the job (Trained on: its JAX backend or GPU, and JAX version). Total steps: over "
              "every run of the model's lineage (a warm-started model's earlier runs included), of which the log "
              "holds Steps. Final loss and -log p: means over the last 10% of steps; the two "
              "architectures' losses differ in form (v2 sums -log p over a dataset's samples, v1 averages), so "
              "compare -log p per sample.", ""]
    return "\n".join(lines)
