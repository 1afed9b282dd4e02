"""The pipeline stages, one function each; ``activa.cli`` exposes them as ``python -m activa <stage>``.

A stage reads its input files, validates them, calls one library function and writes its outputs
atomically. ``config`` is the part of the validated config that the stage declares in ``activa.cli.STAGES``
(and that its Snakemake rule hashes as its ``reads`` param), nothing more.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from pathlib import Path

import pandas as pd

from activa import config as cfg
from activa.data.format import (DataError, Samples, atomic_path, check_input, check_scms_of, read_csv, read_samples,
                                 read_scms, sha256, write_csv, write_samples, write_scms, write_text)
from activa.data.simulate import family_meta


def read_input(path: Path, flag: str, kind: str, family: str, config: dict | None = None,
               **expected: tuple[object, str]) -> Samples:
    """A samples or predictions file a stage was given as ``flag``, read and checked (``check_input``) before any
    work: of ``kind`` ("samples" or "predictions") and of ``--family`` (where ``config`` holds the family, with its
    variable count and intervention values); ``expected``: further keys, e.g. ``method=("activa", "--method")``
    (one named in both: ``expected``'s)."""
    data = read_samples(path)
    checks = {"kind": (kind, flag), "family": (family, "--family")}
    spec = (config or {}).get("families", {}).get(family)
    if spec is not None:
        checks["n_vars"] = (spec["n_vars"], f"families.{family}.n_vars")
        checks["intervention_values"] = (spec["intervention_values"], f"families.{family}.intervention_values")
    check_input(path, data.meta, **{**checks, **expected})
    return data


def read_predictions_of(paths: list[Path], family: str, truth: Samples) -> dict[str, Samples]:
    """Predictions files by method (each file's metadata names it), each checked to predict ``truth``: of
    ``--family``, its split and variable count."""
    preds = {}
    for path in paths:
        pred = read_input(path, "--pred", "predictions", family, split=(truth.meta.get("split"), "--truth's split"),
                          n_vars=(truth.samples.shape[-1], "--truth's n_vars"))
        if pred.meta.get("method") is None:
            raise DataError(f"{path}: metadata lacks 'method'")
        if pred.meta["method"] in preds:
            raise DataError(f"{path}: a second predictions file of method '{pred.meta['method']}'")
        preds[pred.meta["method"]] = pred
    return preds


def run_simulate(config: dict, family: str, split: str, out_samples: Path, out_scms: Path,
                 resources: Path | None = None, workers: int = 1, progress: bool = True) -> None:
    """``simulate``: ``<split>.samples.parquet`` and ``<split>.scms.parquet`` of a family (``resources``: the folder
    of the files its kind makes splits from, ``activa.data.families``)."""
    from activa.data.simulate import scm_columns, simulate_split

    spec = cfg.family(config, family)
    params, data = simulate_split(config, family, split, progress=progress, workers=workers, resources=resources)
    meta = family_meta(config, family, split)
    adjacency, weights, noise_params, noise_meta = scm_columns(spec, params)
    write_scms(out_scms, adjacency, weights, noise_params, {**meta, **noise_meta})
    write_samples(out_samples, data, {**meta, "kind": "samples"})
    if noise_meta["noise_family"] == "sergio":
        print(f"simulate {family}/{split}: mean expression {float(data.samples.mean()):.3f}", file=sys.stderr)


def run_networks(config: dict, out_dir: Path) -> None:
    """``networks``: the E. coli and yeast network TSVs, checked by SHA-256."""
    from activa.data.grn import fetch_networks

    fetch_networks(out_dir, config["grn"]["local_dir"])


def run_sachs_data(config: dict, out_dir: Path) -> None:
    """``sachs-data``: the Sachs cells and consensus network CSVs (cdt==0.6.0 wheel), checked by SHA-256."""
    from activa.data.sachs import fetch

    fetch(out_dir, config["sachs_data"]["local_dir"])


def run_baseline(config: dict, family: str, data: Path, out: Path) -> None:
    """``baseline``: the conditional baseline's predictions for a family's test split."""
    from activa.eval.baseline import predict_samples

    truth = read_input(data, "--data", "samples", family, config)
    split = truth.meta.get("split", "test")
    pred = predict_samples(config, truth, family, split)
    write_samples(out, pred, {**family_meta(config, family, split), "kind": "predictions", "method": "baseline",
                              "ridge": config["baseline"]["ridge"]})


def run_paper_baseline(config: dict, family: str, data: Path, out: Path) -> None:
    """``paper-baseline``: the baseline drawn as the published baseline numbers were made (the hypothesis named
    by ``references.paper_baseline``, e.g. ``query_at_0``: conditioned on and set to V_t = 0), from the
    baseline's own random stream."""
    from activa.eval.baseline import describe_hypothesis, predict_samples

    name = config["references"]["paper_baseline"]
    spec = config["calibration"]["baseline_hypotheses"]["hypotheses"][name]
    if spec["truth"] != "interventional":
        raise cfg.ConfigError(f"references.paper_baseline: hypothesis '{name}' is scored against the "
                              f"{spec['truth']} samples; a reference row needs one scored against the interventional")
    truth = read_input(data, "--data", "samples", family, config)
    split = truth.meta.get("split", "test")
    pred = predict_samples(config, truth, family, split, spec)
    write_samples(out, pred, {**family_meta(config, family, split), "kind": "predictions", "method": "paper_baseline",
                              "hypothesis": name, "drawn": describe_hypothesis(spec),
                              "ridge": config["baseline"]["ridge"]})


def _reference_inputs(config: dict, family: str, data: Path, scms: Path | None):
    """A reference method's inputs: the test split's samples (checked to be of ``family``) and, if given, its SCMs
    (checked to match)."""
    truth = read_input(data, "--data", "samples", family, config)
    if scms is None:
        return truth, None
    table = read_scms(scms)
    check_scms_of(table, truth, str(scms), str(data))
    return truth, table


def _write_reference(config: dict, family: str, method: str, truth, pred, out: Path, **meta) -> None:
    split = truth.meta.get("split", "test")
    write_samples(out, pred, {**family_meta(config, family, split), "kind": "predictions", "method": method, **meta})


def run_reference(config: dict, method: str, family: str, data: Path, out: Path, scms: Path | None = None,
                  source: Path | None = None, workers: int = 1, progress: bool = True) -> None:
    """``reference``: the predictions of reference method ``method`` (``activa.eval.methods``) for every query of a
    family's test split, on all its SCMs or a seeded subset (``references.<method>.scms``).

    ``scms`` (the split's SCM table) is required by, and given only to, a method that sees the graph or the truth;
    ``source``: the Python file of an external method (``references.external``).
    """
    import numpy as np

    from activa.data.scm import seed_sequence
    from activa.eval.methods import registry
    from activa.eval.references import Inputs, _predictions, scm_subset

    methods = registry(config.get("references", {}))
    if method not in methods or methods[method].predict is None:
        generic = [m.name for m in methods.values() if m.predict is not None]
        raise cfg.ConfigError(f"reference: unknown method '{method}', expected one of {', '.join(generic)}")
    spec = methods[method]
    if spec.source is not None and (source is None or Path(source).resolve() != Path(spec.source).resolve()):
        raise cfg.ConfigError(f"reference: method '{method}' is defined in {spec.source} (references.external."
                              f"{method}.file); pass it as --source")
    if spec.sees != "observational" and scms is None:
        raise cfg.ConfigError(f"reference: method '{method}' sees the {spec.sees}: --scms (the split's .scms.parquet) "
                              "is required")
    truth, table = _reference_inputs(config, family, data, scms if spec.sees != "observational" else None)
    split = truth.meta.get("split", "test")
    if spec.source is not None:
        options = config["references"]["external"][method].get("options") or {}
    else:
        options = config["references"][method] if spec.options else {}
    size = options.get("scms")
    rows = (scm_subset(len(truth.scm), size, seed_sequence(config["seed"], "scm_subset", family, split))
            if size is not None else np.arange(len(truth.scm)))
    subset = truth.select_scms(rows)
    inputs = Inputs(subset, table, cfg.family(config, family), options,
                    seed_sequence(config["seed"], method, family, split), progress, workers)
    result = spec.load()(inputs)
    samples, notes = result if isinstance(result, tuple) else (result, {})
    expected = (len(rows), len(truth.interventional)) + truth.samples.shape[2:]
    if np.shape(samples) != expected:
        raise DataError(f"reference {method}: its predict returned samples of shape {np.shape(samples)}, expected "
                        f"{expected} (SCMs, interventional regimes, N, d)")
    meta = {"label": spec.label, "sees": spec.sees, **notes}
    if size is not None:
        meta["scm_subset"] = len(rows)
    _write_reference(config, family, method, truth, _predictions(subset, np.asarray(samples)), out, **meta)


def run_truth_pooled(config: dict, family: str, data: Path, scms: Path, out: Path, out_means: Path,
                     out_floor: Path, resources: Path | None = None, progress: bool = True) -> None:
    """``truth-pooled``: ``references.truth_pooled.runs`` independent runs of every SCM and condition; writes the
    reference ``truth_pooled`` (N cells per query drawn from the pooled runs), the split's true means
    (``<split>.means.parquet``: closed form on linear families, the pooled mean on SERGIO, measured on Sachs) and how
    correlated a regime's samples are (``out_floor``, CSV: ``references.effective_samples``). ``resources``: the
    folder of the files the family's kind needs (Sachs: the cells, whose other half is its truth pooled)."""
    from activa.data.families import kind_of
    from activa.data.format import write_means
    from activa.data.scm import seed_sequence
    from activa.eval.references import effective_samples, truth_pooled

    truth, table = _reference_inputs(config, family, data, scms)
    split = truth.meta.get("split", "test")
    runs = config["references"]["truth_pooled"]["runs"]
    spec = cfg.family(config, family)
    pooled = truth_pooled(truth, table, spec, runs, seed_sequence(config["seed"], "truth_pooled", family, split),
                          progress, resources)
    means, source = kind_of(spec).load().true_means(table, truth, pooled.means, runs, resources)
    _write_reference(config, family, "truth_pooled", truth, pooled.pred, out, runs=runs)
    write_means(out_means, means, {**family_meta(config, family, split), "source": source, "runs": runs})
    write_csv(out_floor, pd.DataFrame([{"family": family, **effective_samples(pooled, truth)}]))


def run_metrics(config: dict, family: str, method: str, truth: Path, pred: Path, means: Path, out: Path,
                progress: bool = True) -> None:
    """``metrics``: score a predictions file against the ground truth, one row per (SCM, regime) pair: the
    distances and the errors of the predicted means on the target's descendants and non-descendants."""
    from activa.data.format import check_means_of, read_means
    from activa.eval import scoring

    seed = scoring.metrics_seed(config["seed"], family, method)
    data = read_input(truth, "--truth", "samples", family)
    predictions = read_input(pred, "--pred", "predictions", family, method=(method, "--method"),
                             split=(data.meta.get("split"), f"{truth}'s split"),
                             n_vars=(data.samples.shape[-1], f"{truth}'s n_vars"))
    true_means = read_means(means)
    check_means_of(true_means, data, str(means), str(truth))
    frame = scoring.score(data, predictions, config["metrics"], seed, true_means, progress, str(truth), str(pred))
    # what the tables show of a reference method: its subset of SCMs, its label and how its run went
    carried = {key: predictions.meta[key] for key in ("scm_subset", "label", "sees", "summary") if key in predictions.meta}
    scoring.write_metrics(out, frame, {"family": family, "method": method, "conventions": config["metrics"],
                                       "seed": seed, "truth": str(truth), "predictions": str(pred), **carried})


def run_table(config: dict, name: str, metrics: list[Path], out_prefix: Path, floors: list[Path] | None = None) -> None:
    """``table``: table ``name`` (CSV, Markdown, LaTeX) from metrics files; empty cells stay empty.

    ``table1`` (v2 Table 1) and ``latents`` have one row per dataset and a column group per method;
    ``table1_references`` and the tables of the config's ``v1_tables`` (v1 layout) one row per (dataset, method).
    Every cell carries its bootstrap interval; bold marks a significant paired test (config ``intervals``).
    ``floors``: the truth-pooled stage's effective-sample-size CSVs, shown under ``table1_references``.
    """
    from activa.report import tables

    intervals, seed = config["intervals"], config["seed"]
    if name == "table1_references":
        from activa.report import references_table

        from activa.eval.methods import BUILTIN

        allowed = {"baseline", "activa"} | {m.name for m in BUILTIN if "table1" in m.tables}
        files = tables.metric_files(metrics, allowed, name, external=True)
        frames = [read_csv(path, "effective-samples CSV") for path in floors or []]
        for path, frame in zip(floors or [], frames):
            if "interventional_n_eff_median" not in frame.columns:
                raise DataError(f"{path}: missing column 'interventional_n_eff_median' (written by truth-pooled)")
        table, versus = references_table.collect(config["table1"]["rows"], files, intervals, seed)
        references_table.write(table, out_prefix, intervals, pd.concat(frames, ignore_index=True) if frames else None,
                               versus)
        return
    if name in ("table1", "latents"):
        methods = tables.methods_of(name, config)
        table = tables.collect(config["table1"]["rows"], tables.metric_files(metrics, set(dict(methods)), name),
                               methods, intervals, seed)
        tables.write_table(table, out_prefix, intervals, methods)
        return
    from activa.eval.methods import BUILTIN

    spec = config["v1_tables"][name]
    allowed = {m for row in spec["rows"] for m in row["methods"]} | {m.name for m in BUILTIN if "v1" in m.tables}
    files = tables.metric_files(metrics, allowed, name, external=True)
    table, versus = tables.collect_v1(spec, files, intervals, seed)
    tables.write_v1_table(table, out_prefix, spec, intervals, versus)


def run_real_table(config: dict, family: str, truth: Path, means: Path, pred: list[Path], out_prefix: Path,
                   out_figures: list[Path]) -> None:
    """``real-table``: every method on a real-data family's interventions (``activa.eval.real``): the table
    (``<prefix>.csv``, ``.md``, ``.tex``: per condition and over all, the floor and no effect among the rows) and the
    figure of predicted against measured shifts (``out_figures``, PDF and PNG)."""
    from activa.data.families import kind_of
    from activa.data.format import check_means_of, read_means
    from activa.eval import real
    from activa.eval.scoring import metrics_seed
    from activa.report import real_table

    spec = cfg.family(config, family)
    if kind_of(spec).simulated:
        raise cfg.ConfigError(f"real-table: family '{family}' is simulated (generator {spec['generator']!r}); its "
                              "tables are Table 1's and the v1 tables")
    data, true_means = read_input(truth, "--truth", "samples", family, config), read_means(means)
    check_means_of(true_means, data, str(means), str(truth))
    predictions = read_predictions_of(pred, family, data)
    paths = {pred_.meta["method"]: str(path) for pred_, path in zip(predictions.values(), pred)}
    for needed in (real.FLOOR, real.CEILING):
        if needed not in predictions:
            raise DataError(f"real-table: no predictions of '{needed}' among --pred (the table's "
                            f"{'floor' if needed == real.FLOOR else 'no-effect row'})")
    methods = real_table.order(list(predictions))
    frames, points = {}, {}
    for m in methods:
        frames[m], points[m] = real.score_method(data, true_means, predictions[m], config["metrics"],
                                                 metrics_seed(config["seed"], family, m), paths[m])
    labels_of_regimes = kind_of(spec).load().condition_labels(spec)
    conditions = dict(zip(data.regime[data.interventional].tolist(), labels_of_regimes))
    table = real.summarise(frames, conditions, config["intervals"], config["seed"])
    labels = {m: real_table.label(m, predictions[m].meta) for m in methods}
    title = f"{spec['label']}: every method on the measured interventions (N = {data.samples.shape[2]})"
    real_table.write(table, out_prefix, config["intervals"], labels, title, len(data.scm), data.samples.shape[2])
    real_table.figure(points, list(conditions.values()), labels, out_figures, title)


def run_calibration_table(config: dict, metrics: list[Path], out_prefix: Path, out_figures: list[Path],
                          densities: list[Path] | None = None) -> None:
    """``calibration-table``: every method's calibration on Table 1's families (``<prefix>.csv``, ``.md``,
    ``.tex``: energy score, spread ratios, interval coverage; ACTIVA's held-out -log p from ``densities``) and its
    figure (PIT histograms, coverage curves)."""
    import pyarrow.parquet as pq

    from activa.data.format import META_KEY
    from activa.report import calibration_table, tables

    from activa.eval.methods import BUILTIN

    allowed = {"baseline", "activa", "activa_1latent"} | {m.name for m in BUILTIN}
    files = tables.metric_files(metrics, allowed, "calibration", external=True)
    nll = {}
    for path in densities or []:
        if not Path(path).exists():
            raise DataError(f"{path}: file not found")
        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {}).get(META_KEY, b"{}"))
        if meta.get("kind") != "density" or "nll" not in table.column_names:
            raise DataError(f"{path}: not a density file (stage density): expected kind 'density' and column 'nll'")
        nll[(meta["method"], meta["family"])] = table.to_pandas()
    table = calibration_table.collect(config["table1"]["rows"], files, config["intervals"], config["seed"], nll)
    calibration_table.write(table, out_prefix, config["intervals"])
    calibration_table.figure(table, out_figures)


def run_settings_table(config: dict, tables: list[Path], out_prefix: Path) -> None:
    """``settings-table``: every model's inference candidates on its validation split, the chosen one marked
    (``<prefix>.csv``, ``.md``, ``.tex``), from the ``select-inference`` CSVs."""
    from activa.report import settings_table

    frames = {str(path): read_csv(path, "select-inference CSV") for path in tables}
    labels = {name: spec["label"] for name, spec in config["families"].items()}
    settings_table.write(settings_table.collect(frames, labels), out_prefix, config["activa"]["inference"]["select"]["alpha"])


def run_compare(config: dict, table1: Path, paper_values: Path, v1_tables: list[Path], models: list[Path],
                out_prefix: Path, published_baseline: Path | None = None, references: Path | None = None) -> None:
    """``compare``: every published cell next to ours; ``<prefix>.csv`` and ``<prefix>.md``.

    ``v1_tables``: our v1-layout tables (``<name>.csv``, the name from the file stem); ``models``: the model
    files behind Table 1's ACTIVA cells, whose metadata says how each was trained; ``published_baseline``:
    the ``published-baseline`` CSV, which notes who reproduces each published baseline cell; ``references``: the
    ``table1_references`` CSV (the baseline queried at V_t = 0 beside the published baseline).
    """
    from activa.model.checkpoint import read_trained
    from activa.report import comparison

    facts = cfg.read_yaml(Path(paper_values).read_text())
    for key in ("v2_table1", "v2_settings"):
        if key not in facts:
            raise cfg.ConfigError(f"{paper_values}: missing top-level key '{key}'")
    ours = read_csv(table1, "table1 CSV")
    missing = {"key", *(f"{m}_{x}" for m in ("activa", "baseline") for x in ("mmd", "wsd", "erg"))} - set(ours.columns)
    if missing:
        raise DataError(f"{table1}: missing column(s) {sorted(missing)}")
    v1 = {Path(path).stem: read_csv(path, "v1 table CSV") for path in v1_tables}
    trained = {meta["variant"]: meta for meta in (read_trained(path)[0] for path in models)}
    hypotheses = None
    if published_baseline is not None:
        from activa.report.published_baseline import COLUMNS

        hypotheses = read_csv(published_baseline, "published-baseline CSV")
        missing = set(COLUMNS) - set(hypotheses.columns)
        if missing:
            raise DataError(f"{published_baseline}: missing column(s) {sorted(missing)}")
    refs = None
    if references is not None:
        refs = read_csv(references, "table1_references CSV")
        missing = {"key", "scope", "method", "mmd", "wsd", "erg"} - set(refs.columns)
        if missing:
            raise DataError(f"{references}: missing column(s) {sorted(missing)}")
    frame, text = comparison.compare(ours, v1, facts, config, trained, hypotheses, refs)
    write_csv(Path(out_prefix).with_suffix(".csv"), frame)
    write_text(Path(out_prefix).with_suffix(".md"), text)


def _linear_family(config: dict, family: str, stage: str, why: str) -> dict:
    from activa.data.families import kind_of

    spec = cfg.family(config, family)
    if not kind_of(spec).closed_form:
        raise cfg.ConfigError(f"{stage}: family '{family}' is not linear ({why})")
    return spec


def run_figures(config: dict, family: str, kind: str, metrics: list[Path], out_dir: Path, scms: Path | None = None,
                truth: Path | None = None, pred: list[Path] | None = None) -> None:
    """``figures``: figure set ``kind`` of a family; ecdf needs the metrics only, summary and scatter (linear
    families) the SCMs, truth and predictions too; the scatter set also writes ``<family>_captions.md``."""
    from activa.eval.scoring import read_metrics
    from activa.report import figures

    frames = {meta.get("method", Path(path).stem): frame for path in metrics for frame, meta in [read_metrics(path)]}
    if kind == "ecdf":
        figures.family_figures(kind, None, None, {}, frames, out_dir, family, cfg.family(config, family)["label"])
        return
    spec = _linear_family(config, family, "figures", "the figures use closed-form means")
    missing = [flag for flag, value in (("--scms", scms), ("--truth", truth), ("--pred", pred)) if not value]
    if missing:
        raise cfg.ConfigError(f"figures: --kind {kind} needs {', '.join(missing)}")
    scm_table, data = read_scms(scms), read_input(truth, "--truth", "samples", family)
    check_scms_of(scm_table, data, str(scms), str(truth))
    if kind == "scatter" and data.samples.shape[-1] != 2:
        raise cfg.ConfigError(f"figures: the scatter figures need two variables; family '{family}' has "
                              f"{data.samples.shape[-1]}")
    captions = figures.family_figures(kind, scm_table, data, read_predictions_of(pred, family, data), frames, out_dir,
                                      family, spec["label"])
    if captions is not None:
        write_text(Path(out_dir) / f"{family}_captions.md", captions)


def run_effects(config: dict, family: str, scms: Path, truth: Path, means: Path, pred: list[Path],
                out_prefix: Path) -> None:
    """``effects``: descendant vs non-descendant mean errors (against the split's true means) and, on linear
    families, the edgeless check (``<prefix>.csv``, ``<prefix>.no_edge.csv``, ``<prefix>.md``)."""
    from activa.data.families import kind_of
    from activa.data.format import check_means_of, read_means
    from activa.eval import effects

    spec = cfg.family(config, family)
    scm_table, data, true_means = read_scms(scms), read_input(truth, "--truth", "samples", family), read_means(means)
    check_scms_of(scm_table, data, str(scms), str(truth))
    check_means_of(true_means, data, str(means), str(truth))
    preds = read_predictions_of(pred, family, data)
    errors = effects.mean_errors(true_means, data, preds)
    edgeless = (effects.no_edge(scm_table, data, preds) if kind_of(spec).closed_form
                else effects.no_edge_empty())
    out_prefix = Path(out_prefix)
    write_csv(out_prefix.with_suffix(".csv"), errors)
    write_csv(out_prefix.with_suffix(".no_edge.csv"), edgeless)
    write_text(out_prefix.with_suffix(".md"), effects.to_markdown(errors, edgeless, spec["label"],
                                                                         true_means.meta.get("source", "closed form")))


def run_calibrate(config: dict, paper_values: Path, out_prefix: Path, progress: bool = True) -> None:
    """``calibrate``: the metric-convention report against the published baseline (``<prefix>.md``, ``.csv``,
    ``.sensitivity.csv``)."""
    from activa.eval.calibration import calibrate

    published = cfg.read_yaml(Path(paper_values).read_text())["v2_table1"]
    for family in config["calibration"]["families"]:
        if family not in published["rows"]:
            raise cfg.ConfigError(f"calibration.families: '{family}' has no published row in {paper_values}")
    frame, sensitivity, text = calibrate(config, published, progress)
    out_prefix = Path(out_prefix)
    write_csv(out_prefix.with_suffix(".csv"), frame)
    write_csv(out_prefix.with_suffix(".sensitivity.csv"), sensitivity)
    write_text(out_prefix.with_suffix(".md"), text)


def run_baseline_hypotheses(config: dict, family: str, data: Path, out: Path, progress: bool = True) -> None:
    """``baseline-hypotheses``: every baseline hypothesis on a family's test split under every candidate
    metric convention (``<out>``: CSV, one row per hypothesis, metric and convention)."""
    from activa.eval.calibration import hypothesis_scores

    write_csv(out, hypothesis_scores(config, family, read_input(data, "--data", "samples", family), progress))


def run_published_baseline(config: dict, paper_values: Path, hypotheses: list[Path], out_prefix: Path) -> None:
    """``published-baseline``: the published baseline cells under each hypothesis (``<prefix>.md``, ``.csv``:
    one row per cell, hypothesis and convention; ``.verdict.csv``: cells reproduced per hypothesis)."""
    import pandas as pd

    from activa.report import published_baseline as pb

    spec = config["calibration"]["baseline_hypotheses"]
    families = {f: cfg.family(config, f) for f in spec["families"]}
    facts = cfg.read_yaml(Path(paper_values).read_text())
    if "v2_table1" not in facts:
        raise cfg.ConfigError(f"{paper_values}: missing top-level key 'v2_table1'")
    frames = []
    for path in hypotheses:
        frame = read_csv(path, "baseline-hypotheses CSV")
        missing = set(pb.SCORE_COLUMNS) - set(frame.columns)
        if missing:
            raise DataError(f"{path}: missing column(s) {sorted(missing)}")
        absent = sorted(set(spec["hypotheses"]) - set(frame["hypothesis"]))
        if absent:
            raise DataError(f"{path}: no rows for hypothesis(es) {absent} of calibration.baseline_hypotheses "
                            "(written with other hypotheses? rerun baseline-hypotheses)")
        unknown = sorted(set(frame["family"]) - set(families))
        if unknown:
            raise DataError(f"{path}: family {unknown} is not in calibration.baseline_hypotheses.families")
        frames.append(frame)
    scores = pd.concat(frames, ignore_index=True)
    cells = pb.published_cells(facts, families)
    frame = pb.match(cells, scores, spec["hypotheses"], config["metrics"], spec["within"])
    pairs = {f: int(n) for f, n in scores.groupby("family", sort=False)["pairs"].first().items()}
    source = "; ".join(facts[k]["source"] for k in ("v2_table1", "v1_tables") if k in facts)
    verdict, text = pb.report(frame, spec["hypotheses"], config["metrics"], spec["within"], pairs, source)
    out_prefix = Path(out_prefix)
    write_csv(out_prefix.with_suffix(".csv"), frame)
    write_csv(out_prefix.with_suffix(".verdict.csv"), verdict)
    write_text(out_prefix.with_suffix(".md"), text)


def _check_model_is_variant(config: dict, variant: str, path: Path, meta: dict, remedy: str,
                            ignore: tuple[str, ...] = ()) -> None:
    """``ConfigError`` naming the key unless the model file at ``path`` (metadata ``meta``) is ``variant`` as
    configured: architecture, model config (but its keys in ``ignore``), training family and its intervention
    values."""
    from activa.model.variants import model_config

    model_cfg, spec = model_config(config, variant)
    drop = lambda d: {k: v for k, v in d.items() if k not in ignore} if isinstance(d, dict) else d
    expected = {"architecture": spec["architecture"], "model_config": drop(model_cfg.to_dict()),
                "family": spec["train_on"],
                "intervention_values": cfg.family(config, spec["train_on"])["intervention_values"]}
    for key, value in expected.items():
        if (drop(meta.get(key)) if key == "model_config" else meta.get(key)) != value:
            raise cfg.ConfigError(f"{path}: model '{meta.get('variant')}' has {key} {meta.get(key)!r}, but "
                                  f"activa.variants.{variant} configures {value!r}; {remedy}")


def run_train(config: dict, variant: str, data: Path, checkpoint: Path, out_model: Path, out_log: Path,
              out_figures: list[Path], init: Path | None = None, deadline: float | None = None,
              train_seconds: float | None = None, progress: bool = True) -> None:
    """``train``: fit one ACTIVA variant, resuming from ``checkpoint`` if present.

    ``init``: start from this trained model's parameters (same architecture, model config but for the dropout rate,
    and training family; fresh optimiser, the budget's warm-up); the model file's ``lineage`` then continues the initial model's.
    ``deadline`` (Unix time), or ``train_seconds`` after the training step is compiled: end the run then, the
    schedule fitted to it (``train.fit``).
    The checkpoint is deleted once the model file is written: it only exists while a run is unfinished.
    """
    import time

    from activa.model import checkpoint as model_file
    from activa.model import lineage, train
    from activa.model.variants import variant_configs
    from activa.report.figures import loss_curve

    model_cfg, train_cfg, spec = variant_configs(config, variant)
    samples = read_samples(data)
    check_input(data, samples.meta, kind=("samples", "--data"),
                family=(spec["train_on"], f"activa.variants.{variant}.train_on"))
    start_from, history = None, []
    if init is not None:
        tree, init_meta = model_file.load(init)
        if "train_config" not in init_meta:
            raise DataError(f"{init}: not a trained-model file (no train_config in its metadata)")
        # the dropout rate may change (e.g. a dropout-free fine-tune): the parameters do not depend on it
        _check_model_is_variant(config, variant, init, init_meta, "--init needs a model of the same variant",
                                ignore=("dropout",))
        history = lineage.of(init_meta)
        start_from = (tree["params"], {"file": Path(init).name, "sha256": sha256(init),
                                       "total_steps": lineage.total_steps(history)})
    info, start = {}, time.perf_counter()
    params, log = train.fit(samples, model_cfg, train_cfg, checkpoint, progress=progress, describe=f"train {variant}",
                            init=start_from, deadline=deadline, train_seconds=train_seconds, info=info)
    wall_s = time.perf_counter() - start
    history = [*history, lineage.entry(train_cfg, log, wall_s, info, samples,
                                       None if start_from is None else start_from[1]["sha256"])]
    write_csv(out_log, log, formats=train.LOG_FORMATS)
    loss_curve(log, out_figures, f"ACTIVA {spec['architecture']} {variant}: {len(log)} steps, "
                                 f"batch {train_cfg.batch_size}")
    model_file.save(out_model, {"params": params}, {
        "architecture": spec["architecture"], "model_config": model_cfg.to_dict(),
        "train_config": dataclasses.asdict(train_cfg), "variant": variant, "family": spec["train_on"],
        "intervention_values": samples.meta["intervention_values"],
        "steps": int(log["step"].iloc[-1]) if len(log) else 0, "total_steps": lineage.total_steps(history),
        "lineage": history, "activa_version": samples.meta.get("activa_version"),
        "written_by": model_file.environment()})
    Path(checkpoint).unlink(missing_ok=True)


def run_pretrained(config: dict, variant: str, manifest: Path, out_model: Path, out_log: Path,
                   out_figures: list[Path]) -> None:
    """``pretrained``: a shipped model in place of ``train``'s output (model file, training log, loss curve).

    Checks the files' SHA-256 against ``manifest`` and that the shipped model is the configured variant: same
    architecture and model config (but for the dropout rate, a training choice: a dropout-free fine-tune of the
    variant is the variant), trained on the same family with its intervention values.
    """
    from activa.model import checkpoint as model_file
    from activa.model import shipped, train
    from activa.report.figures import loss_curve

    model_path, log_path, entry = shipped.verified(variant, manifest)
    meta, _ = model_file.read_trained(model_path)
    _check_model_is_variant(config, variant, model_path, meta,
                            "train it instead (leave it out of activa.pretrained.variants)", ignore=("dropout",))
    log = read_csv(log_path, "training log")
    with atomic_path(out_model) as tmp:
        shutil.copyfile(model_path, tmp)
    write_csv(out_log, log, formats=train.LOG_FORMATS)
    runs = ", ".join(f"{run['steps']:,} on {run['device']} at batch {run['batch_size']}" for run in entry["lineage"])
    loss_curve(log, out_figures, f"ACTIVA {meta['architecture']} {variant} (shipped): {len(log):,} steps ({runs})")


def run_training_cost(config: dict, models: list[Path], logs: list[Path], out_prefix: Path) -> None:
    """``training-cost``: parameters, steps, time and final loss of each trained variant (CSV, Markdown).

    ``models`` and ``logs`` pair up in order (results/models/<variant>/model.msgpack and train_log.csv).
    """
    from activa.model.checkpoint import read_trained
    from activa.report import tables

    if len(models) != len(logs):
        raise cfg.ConfigError(f"training-cost: {len(models)} model files but {len(logs)} logs")
    runs = []
    for model_path, log_path in zip(models, logs):
        meta, n_params = read_trained(model_path)
        log = read_csv(log_path, "training log")
        missing = {"loss", "recon", "steps_per_s"} - set(log.columns)
        if missing:
            raise DataError(f"{log_path}: missing column(s) {sorted(missing)}")
        runs.append((meta["variant"], meta, n_params, log))
    table = tables.training_cost(runs, config)
    write_csv(Path(out_prefix).with_suffix(".csv"), table)
    write_text(Path(out_prefix).with_suffix(".md"), tables.training_cost_markdown(table))


def run_select_inference(config: dict, model: Path, data: Path, n_latents: int, out_model: Path, out_table: Path,
                         progress: bool = True) -> None:
    """``select-inference``: choose how a trained model predicts (``activa.inference.setting``) on the validation
    split of its training family by the rule of ``activa.eval.selection``; writes the model file with the setting
    and its candidates in its metadata (``inference``) and the candidates' table (CSV, one row per candidate).

    The candidates' scores depend on the model, the validation file, the candidates, the latents, the seed and the
    batch size (which draws each query gets); a model file that already holds scores made with all of these
    (``inference.scored_with``; the shipped models do) is not scored again, only the choice is made anew.
    """
    import numpy as np
    import pandas as pd

    from activa.eval import selection
    from activa.model import checkpoint as model_file
    from activa.model.api import TrainedModel
    from activa.model.inference import InputError, predict_seed

    spec = config["activa"]["inference"]
    tree, meta = model_file.load(model)
    if "model_config" not in meta:
        raise DataError(f"{model}: not a trained-model file (no model_config in its metadata)")
    trained = TrainedModel.load(model)
    validation = read_samples(data)
    check_input(data, validation.meta, kind=("samples", "--data"),
                family=(meta.get("family"), f"{model}'s training family"),
                split=("validation", "the split select-inference chooses on"),
                intervention_values=(list(trained.intervention_values), f"{model}'s intervention_values"))
    seed = predict_seed(config["seed"], "validation", str(meta.get("variant")))
    # a model trained without dropout (a dropout-free fine-tune) is one network: its dropout modes are one candidate
    dropouts = list(spec["select"]["dropout"]) if meta["model_config"].get("dropout", 0) > 0 else ["off"]
    scored_with = {"validation_digest": validation.digest(), "params_digest": model_file.params_digest(tree),
                   "dropout": dropouts, "n_latents": n_latents, "seed": seed,
                   "batch_size": spec["batch_size"], "scorer": selection.SCORER}
    stored = meta.get("inference", {})
    if stored.get("scored_with") == scored_with:
        frame = pd.DataFrame(stored["candidates"])[list(selection.COLUMNS)]
        print(f"select-inference {meta.get('variant')}: candidates scored as stored in {model}", file=sys.stderr)
    else:
        try:
            frame = selection.candidates(trained.params, trained.module, validation, dropouts=dropouts,
                                         n_latents=n_latents, seed=seed, batch_size=spec["batch_size"],
                                         source=str(data), progress=progress)
        except InputError as exc:
            raise DataError(str(exc)) from None
    try:
        chosen, frame = selection.pick(frame, spec["setting"], spec["select"]["alpha"])
    except ValueError as exc:
        raise cfg.ConfigError(f"activa.inference.setting: {exc} (activa.inference.select.dropout; a model trained "
                              "without dropout has only 'off')") from None
    records = [{key: (value.item() if isinstance(value, np.generic) else value) for key, value in row.items()}
               for row in frame.to_dict("records")]
    meta = {**meta, "inference": {
        "setting": chosen.to_dict(), "choice": spec["setting"], "rule": selection.RULE, "alpha": spec["select"]["alpha"],
        "validation": {"file": Path(data).name, "family": validation.meta.get("family"),
                       "scms": int(validation.samples.shape[0]),
                       "pairs": int(validation.samples.shape[0] * len(validation.interventional))},
        "scored_with": scored_with, "candidates": records}}
    model_file.save(out_model, tree, meta)
    write_csv(out_table, frame.assign(variant=meta.get("variant"), family=validation.meta.get("family")))
    print(f"select-inference {meta.get('variant')}: {chosen.describe()} ({spec['setting']})", file=sys.stderr)


def run_density(config: dict, family: str, model: Path, data: Path, n_latents: int, out: Path,
                progress: bool = True) -> None:
    """``density``: held-out -log p per sample of a test split's interventional samples under the model's predicted
    mixture (its inference setting), on ``density.scms`` test SCMs drawn from the seed (the SCMs dowhy_gcm gets when
    the sizes agree); Parquet, one row per (SCM, regime): scm, regime, target, nll."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from activa.data.format import META_KEY
    from activa.data.scm import seed_sequence
    from activa.eval.density import pair_nll
    from activa.eval.references import scm_subset
    from activa.model.api import TrainedModel
    from activa.model.inference import InputError, predict_seed

    trained = TrainedModel.load(model)
    truth = read_input(data, "--data", "samples", family, config,
                       intervention_values=(list(trained.intervention_values), f"{model}'s intervention_values"))
    split = truth.meta.get("split", "test")
    subset = scm_subset(len(truth.scm), config["density"]["scms"], seed_sequence(config["seed"], "scm_subset", family,
                                                                                 split))
    truth = truth.select_scms(subset)
    try:
        nll = pair_nll(trained.params, trained.module, truth, setting=trained.setting, n_latents=n_latents,
                       seed=predict_seed(config["seed"], "density", family),
                       batch_size=config["activa"]["inference"]["batch_size"], source=str(data), progress=progress)
    except InputError as exc:
        raise DataError(str(exc)) from None
    if not np.isfinite(nll).all():
        raise FloatingPointError(f"{model}: -log p of {data} is not finite for pair {int(np.argmin(np.isfinite(nll)))}")
    R = len(truth.interventional)
    schema = pa.schema([pa.field("scm", pa.int32(), nullable=False), pa.field("regime", pa.int16(), nullable=False),
                        pa.field("target", pa.int16(), nullable=False), pa.field("nll", pa.float64(), nullable=False)])
    table = pa.table({"scm": np.repeat(truth.scm, R).astype(np.int32),
                      "regime": np.tile(truth.regime[truth.interventional], len(truth.scm)).astype(np.int16),
                      "target": np.tile(truth.target[truth.interventional], len(truth.scm)).astype(np.int16),
                      "nll": nll}, schema=schema)
    meta = {**family_meta(config, family, split), "kind": "density", "method": "activa", "model": str(model),
            "variant": trained.meta.get("variant"), "inference": trained.setting.to_dict(), "n_latents": n_latents,
            "scm_subset": len(subset)}
    with atomic_path(out) as tmp:
        pq.write_table(table.replace_schema_metadata({META_KEY: json.dumps(meta, sort_keys=True).encode()}), tmp)


def run_predict(config: dict, method: str, model: Path, family: str, data: Path, out: Path,
                n_latents: int | None = None, progress: bool = True) -> None:
    """``predict``: a trained model's samples for every interventional regime of every test SCM, under the
    model file's inference setting (``select-inference``; none: dropout off, no scale).

    ``method`` names the predictions (``activa``, ``activa_1latent``: the v2 model of Table 1; a variant's
    name: its own predictions); ``n_latents`` latents per query, by default the model config's.
    """
    from activa.model.api import TrainedModel
    from activa.model.inference import InputError, predict_seed, predict_split

    trained = TrainedModel.load(model)
    truth = read_input(data, "--data", "samples", family, config,
                       intervention_values=(list(trained.intervention_values), f"{model}'s intervention_values"))
    n_latents = trained.config.n_latents if n_latents is None else n_latents
    try:
        pred = predict_split(trained.params, trained.module, truth, n_latents=n_latents,
                             seed=predict_seed(config["seed"], method, family),
                             batch_size=config["activa"]["inference"]["batch_size"], progress=progress,
                             source=str(data), setting=trained.setting)
    except InputError as exc:
        raise DataError(str(exc)) from None
    write_samples(out, pred, {**family_meta(config, family, truth.meta.get("split", "test")), "kind": "predictions",
                              "method": method, "n_latents": n_latents, "model": str(model),
                              "variant": trained.meta.get("variant"), "inference": trained.setting.to_dict()})
