"""The pipeline stages, one function each; ``activa.cli`` exposes them as ``python -m activa <stage>``.

Every stage reads its inputs, validates them, and writes its outputs atomically. Random streams come from
``scm.seed_sequence(config seed, stage, family, split)``, so every (stage, family, split) has its own
reproducible stream and results do not depend on which other jobs ran.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from tqdm import tqdm

from activa import baseline, calibration, config as cfg, evaluate, scm, tables
from activa.data import DataError, Samples, read_samples, read_scms, write_samples, write_scms, write_text


def _bar(total: int, desc: str, enabled: bool = True) -> tqdm:
    return tqdm(total=total, desc=desc, unit="scm", file=sys.stderr, disable=not enabled, mininterval=1.0)


def simulate_split(config: dict, family: str, split: str, jitter_std: float | None = None,
                   progress: bool = True, networks: dict[str, Path] | None = None, workers: int = 1):
    """Simulate one split of a family in memory: (per-SCM parameters, Samples).

    Linear families give ``scm.LinearSCMs`` (``jitter_std`` overrides the configured one); SERGIO families
    give ``sergio.SergioParams`` and need ``networks`` (name -> TSV).
    """
    spec = dict(cfg.family(config, family))
    if split not in spec["splits"]:
        raise cfg.ConfigError(f"config key 'families.{family}.splits.{split}' not found")
    if jitter_std is not None:
        spec["jitter_std"] = jitter_std
    n_scm = spec["splits"][split]
    seed = scm.seed_sequence(config["seed"], "simulate", family, split)
    with _bar(n_scm, f"simulate {family}/{split}", progress) as bar:
        if spec["generator"] == "sergio":
            from activa import sergio

            if networks is None:
                raise cfg.ConfigError(f"simulate: family '{family}' is a SERGIO family and needs --networks DIR")
            params, regimes, samples = sergio.simulate(spec, n_scm, seed, networks, progress=bar.update,
                                                       workers=workers)
        else:
            pool = None
            if spec["n_graphs"] is not None:  # graphs from a fixed set shared by the splits (ACTIVA v1)
                pool = scm.graph_pool(spec, scm.seed_sequence(config["seed"], "graph_pool", family))
            params, regimes, samples = scm.simulate(spec, n_scm, seed, progress=bar.update, pool=pool)
    data = Samples(samples.astype(np.float32), regimes.target, regimes.value_index, regimes.value.astype(np.float32),
                   np.arange(n_scm, dtype=np.int32), np.arange(len(regimes), dtype=np.int16))
    return params, data


def _family_meta(config: dict, family: str, split: str) -> dict:
    spec = cfg.family(config, family)
    return {"family": family, "split": split, "config": spec, "seed": config["seed"],
            "intervention_values": spec["intervention_values"]}


def simulate(config: dict, family: str, split: str, out_samples: Path, out_scms: Path, progress: bool = True,
             networks_dir: Path | None = None, workers: int = 1) -> None:
    """Stage ``simulate``: write ``<split>.samples.parquet`` and ``<split>.scms.parquet`` of a family."""
    networks = None
    if networks_dir is not None:
        from activa.grn import NETWORK_FILES

        networks = {name: Path(networks_dir) / filename for name, (filename, _) in NETWORK_FILES.items()}
    params, data = simulate_split(config, family, split, progress=progress, networks=networks, workers=workers)
    meta = _family_meta(config, family, split)
    if cfg.family(config, family)["generator"] == "sergio":
        from activa import sergio

        table, names = sergio.param_table(params)
        write_scms(out_scms, params.adjacency, params.k, table,
                   {**meta, "noise_family": "sergio", "noise_param_names": names})
        mean = float(data.samples.mean())
        print(f"simulate {family}/{split}: mean expression {mean:.3f}", file=sys.stderr)
    else:
        write_scms(out_scms, params.adjacency, params.weights, params.noise_params,
                   {**meta, "noise_family": params.noise_family,
                    "noise_param_names": scm.NOISE_PARAM_NAMES[params.noise_family]})
    write_samples(out_samples, data, {**meta, "kind": "samples"})


def baseline_predictions(config: dict, truth: Samples, family: str, split: str) -> Samples:
    """The conditional baseline's samples for every interventional regime of ``truth``."""
    rng = np.random.Generator(np.random.PCG64(scm.seed_sequence(config["seed"], "baseline", family, split)))
    regimes = truth.interventional
    observational = truth.samples[:, np.flatnonzero(truth.target < 0)[0]]
    samples = baseline.predict(observational, truth.target[regimes], truth.value[regimes], truth.samples.shape[2],
                               rng, config["baseline"]["ridge"])
    return Samples(samples.astype(np.float32), truth.target[regimes], truth.value_index[regimes], truth.value[regimes],
                   truth.scm, truth.regime[regimes])


def run_baseline(config: dict, family: str, data_path: Path, out: Path) -> None:
    """Stage ``baseline``: predictions file for the test split of a family."""
    truth = read_samples(data_path)
    split = truth.meta.get("split", "test")
    pred = baseline_predictions(config, truth, family, split)
    write_samples(out, pred, {**_family_meta(config, family, split), "kind": "predictions", "method": "baseline",
                              "ridge": config["baseline"]["ridge"]})


def metrics_seed(config: dict, family: str, method: str) -> int:
    return int(scm.seed_sequence(config["seed"], "metrics", family, method).generate_state(1)[0])


def run_metrics(config: dict, family: str, method: str, truth_path: Path, pred_path: Path, out: Path,
                progress: bool = True) -> pd.DataFrame:
    """Stage ``metrics``: score a predictions file against the ground truth, one row per pair."""
    truth, pred = read_samples(truth_path), read_samples(pred_path)
    seed = metrics_seed(config, family, method)
    frame = evaluate.score(truth, pred, config["metrics"], seed, progress, str(truth_path), str(pred_path))
    evaluate.write_metrics(out, frame, {"family": family, "method": method, "conventions": config["metrics"],
                                        "seed": seed, "truth": str(truth_path), "predictions": str(pred_path)})
    return frame


def _metric_files(metric_paths: list[Path], allowed: set[str], name: str) -> dict[tuple[str, str], Path]:
    """(method, family) -> metrics file, from each file's metadata; methods outside ``allowed`` are errors."""
    files = {}
    for path in metric_paths:
        meta = evaluate.read_metrics(path)[1]
        key = (meta.get("method"), meta.get("family"))
        if None in key:
            raise evaluate.DataError(f"{path}: metadata lacks 'method' or 'family'")
        if key[0] not in allowed:
            raise evaluate.DataError(f"{path}: method '{key[0]}' is not a column of table {name} "
                                     f"(expected {', '.join(sorted(allowed))})")
        files[key] = path
    return files


def run_table(config: dict, name: str, metric_paths: list[Path], out_prefix: Path) -> pd.DataFrame:
    """Stage ``table``: table ``name`` (CSV, Markdown, LaTeX) from metrics files; empty cells stay empty.

    ``table1`` (v2 Table 1) and ``latents`` have one row per dataset and a column group per method; the
    tables of the config's ``v1_tables`` (v1 layout) have one row per (dataset, method).
    """
    if name in config["v1_tables"]:
        spec = config["v1_tables"][name]
        allowed = {m for row in spec["rows"] for m in row["methods"]}
        table = tables.collect_v1(spec, _metric_files(metric_paths, allowed, name))
        tables.write_v1_table(table, out_prefix, spec)
        return table
    try:
        methods = tables.methods_of(name, config)
    except ValueError:
        raise cfg.ConfigError(f"table: unknown table '{name}', expected table1, latents or one of v1_tables "
                              f"({', '.join(config['v1_tables'])})") from None
    table = tables.collect(config["table1"]["rows"], _metric_files(metric_paths, set(dict(methods)), name), methods)
    tables.write_table(table, out_prefix, methods)
    return table


def run_compare(config: dict, table1_csv: Path, paper_values: Path, out_prefix: Path,
                v1_csvs: list[Path] = ()) -> pd.DataFrame:
    """Stage ``compare``: every published cell (v2 Table 1; v1 Tables 1, 2, 3, 6) next to ours.

    ``v1_csvs``: our v1-layout tables (``<name>.csv``, the name from the file stem). Writes
    ``<prefix>.csv`` and ``<prefix>.md``.
    """
    from activa import comparison

    facts = yaml.safe_load(Path(paper_values).read_text())
    for key in ("v2_table1", "v2_settings"):
        if key not in facts:
            raise cfg.ConfigError(f"{paper_values}: missing top-level key '{key}'")
    try:
        ours = pd.read_csv(table1_csv)
    except (FileNotFoundError, pd.errors.ParserError) as exc:
        raise DataError(f"{table1_csv}: not a readable table1 CSV: {exc}") from None
    missing = {"key", *(f"{m}_{x}" for m in ("activa", "baseline") for x in ("mmd", "wsd", "erg"))} - set(ours.columns)
    if missing:
        raise DataError(f"{table1_csv}: missing column(s) {sorted(missing)}")
    frame = comparison.compare_table1(ours, facts["v2_table1"], facts["v2_settings"]["rows"], config)
    if "v1_tables" in facts:
        v1 = {}
        for path in v1_csvs:
            try:
                v1[Path(path).stem] = pd.read_csv(path)
            except (FileNotFoundError, pd.errors.ParserError) as exc:
                raise DataError(f"{path}: not a readable v1 table CSV: {exc}") from None
        frame = pd.concat([frame, comparison.compare_v1(facts["v1_tables"], v1, config)], ignore_index=True)
    labels = {row["key"]: row["label"] for row in config["table1"]["rows"]}
    out_prefix = Path(out_prefix)
    write_text(out_prefix.with_suffix(".csv"), frame.to_csv(index=False, float_format="%.6g"))
    sources = facts["v2_table1"]["source"] + ("; " + facts["v1_tables"]["source"] if "v1_tables" in facts else "")
    write_text(out_prefix.with_suffix(".md"), comparison.to_markdown(frame, labels, sources))
    return frame


def run_figures(config: dict, family: str, kind: str, scms_path: Path, truth_path: Path, pred_paths: list[Path],
                metric_paths: list[Path], out_dir: Path) -> None:
    """Stage ``figures``: figure set ``kind`` of a linear family (``figures.family_figures``).

    The scatter set also writes ``<out_dir>/<family>_captions.md`` (the panel means).
    """
    from activa import figures

    spec = cfg.family(config, family)
    if spec["generator"] != "linear":
        raise cfg.ConfigError(f"figures: family '{family}' is not linear (the figures use closed-form means)")
    scms, truth = read_scms(scms_path), read_samples(truth_path)
    preds = {}
    for path in pred_paths:
        pred = read_samples(path)
        preds[pred.meta.get("method", Path(path).stem)] = pred
    metrics = {}
    for path in metric_paths:
        frame, meta = evaluate.read_metrics(path)
        metrics[meta.get("method", Path(path).stem)] = frame
    if kind == "scatter" and truth.samples.shape[-1] != 2:
        raise cfg.ConfigError(f"figures: the scatter figures need two variables; family '{family}' has "
                              f"{truth.samples.shape[-1]}")
    captions = figures.family_figures(kind, scms, truth, preds, metrics, out_dir, family, spec["label"])
    if captions is not None:
        write_text(Path(out_dir) / f"{family}_captions.md", captions)


def run_effects(config: dict, family: str, scms_path: Path, truth_path: Path, pred_paths: list[Path],
                out_prefix: Path) -> pd.DataFrame:
    """Stage ``effects``: descendant vs non-descendant mean errors (+ the edgeless check), CSV and Markdown.

    Writes ``<prefix>.csv`` (mean errors), ``<prefix>.no_edge.csv`` and ``<prefix>.md``.
    """
    from activa import effects

    spec = cfg.family(config, family)
    if spec["generator"] != "linear":
        raise cfg.ConfigError(f"effects: family '{family}' is not linear (closed-form moments need linear SCMs)")
    scms, truth = read_scms(scms_path), read_samples(truth_path)
    for key in ("family", "split", "seed", "config"):
        if scms.meta.get(key) != truth.meta.get(key):
            raise DataError(f"{scms_path}: metadata '{key}' is {scms.meta.get(key)!r} but {truth_path} has "
                            f"{truth.meta.get(key)!r}: not the SCMs of these samples")
    if len(scms.adjacency) != len(truth.scm):
        raise DataError(f"{scms_path}: {len(scms.adjacency)} SCMs, but {truth_path} has {len(truth.scm)}")
    preds = {}
    for path in pred_paths:
        pred = read_samples(path)
        method = pred.meta.get("method")
        if method is None:
            raise DataError(f"{path}: metadata lacks 'method'")
        preds[method] = pred
    errors = effects.mean_errors(scms, truth, preds)
    edgeless = effects.no_edge(scms, truth, preds)
    out_prefix = Path(out_prefix)
    write_text(out_prefix.with_suffix(".csv"), errors.to_csv(index=False, float_format="%.6g"))
    write_text(out_prefix.with_suffix(".no_edge.csv"), edgeless.to_csv(index=False, float_format="%.6g"))
    write_text(out_prefix.with_suffix(".md"), effects.to_markdown(errors, edgeless, spec["label"]))
    return errors


def _baseline_pairs(config: dict, family: str, jitter_std: float | None = None, progress: bool = True):
    """Ground truth and baseline samples of a family's test split, aligned pair by pair (x, y)."""
    _, truth = simulate_split(config, family, "test", jitter_std=jitter_std, progress=progress)
    x, y, _ = evaluate.pair_arrays(truth, baseline_predictions(config, truth, family, "test"))
    return x, y


def run_calibrate(config: dict, paper_values: Path, out_prefix: Path, progress: bool = True) -> pd.DataFrame:
    """Stage ``calibrate``: the metric-convention report (Markdown + CSV) against the published baseline.

    Writes ``<prefix>.md`` (the report), ``<prefix>.csv`` (every candidate) and ``<prefix>.sensitivity.csv``.
    """
    published = yaml.safe_load(Path(paper_values).read_text())["v2_table1"]
    calib = config["calibration"]
    families = calib["families"]
    for f in families:
        cfg.family(config, f)
        if f not in published["rows"]:
            raise cfg.ConfigError(f"calibration.families: '{f}' has no published row in {paper_values}")
    records = []
    for jitter in calib["jitter_std_candidates"]:
        for family in families:
            x, y = _baseline_pairs(config, family, jitter, progress)
            for name, values in calibration.candidate_scores(x, y, config["metrics"]["chunk_size"], progress).items():
                metric, candidate = name.split(":")
                records.append({"jitter_std": jitter, "family": family, "metric": metric, "candidate": candidate,
                                "ours": float(np.mean(values))})
    frame = calibration.compare(pd.DataFrame.from_records(records), published["rows"])
    sensitivity = []
    for variant, overrides in calib["generator_variants"].items():
        varied = cfg.deep_merge(config, {"families": {f: overrides for f in families}})
        for family in families:
            x, y = _baseline_pairs(varied, family, progress=progress)
            scores = evaluate.score_arrays(x, y, config["metrics"], seed=0, progress=progress,
                                          include=("mmd", "wsd", "erg"))
            sensitivity += [{"variant": variant, "family": family, "metric": m, "candidate": "configured",
                             "jitter_std": varied["families"][family]["jitter_std"], "ours": float(np.mean(scores[m]))}
                            for m in ("mmd", "wsd", "erg")]
    sensitivity = calibration.compare(pd.DataFrame.from_records(sensitivity), published["rows"]) if sensitivity \
        else pd.DataFrame()
    jitters = {config["families"][f]["jitter_std"] for f in families}
    if len(jitters) != 1:
        raise cfg.ConfigError("calibration.families: the calibrated families must share one jitter_std")
    labels = {f: config["families"][f]["label"] for f in families}
    text = calibration.report(frame, sensitivity, families, labels, calibration.configured_names(config["metrics"]),
                              jitters.pop(), published["source"])
    out_prefix = Path(out_prefix)
    write_text(out_prefix.with_suffix(".csv"), frame.to_csv(index=False, float_format="%.6g"))
    write_text(out_prefix.with_suffix(".sensitivity.csv"), sensitivity.to_csv(index=False, float_format="%.6g"))
    write_text(out_prefix.with_suffix(".md"), text)
    return frame


def variant_configs(config: dict, variant: str):
    """(model config, TrainConfig, variant spec) of an ACTIVA variant of either architecture.

    |I| comes from the training family's intervention values; a v1 model's pseudo-inputs get its n_vars.
    """
    from activa.model import ModelConfig
    from activa.model_v1 import ModelV1Config
    from activa.train import TrainConfig

    variants = config["activa"]["variants"]
    if variant not in variants:
        raise cfg.ConfigError(f"config key 'activa.variants.{variant}' not found; configured: {', '.join(variants)}")
    spec = variants[variant]
    family = cfg.family(config, spec["train_on"])
    common = dict(n_values=len(family["intervention_values"]), heads=spec["heads"], K=spec["K"], e=spec["e"],
                  h=spec["h"], c=spec["c"], L=spec["L"], latent=spec["latent"], dropout=spec["dropout"])
    if spec["architecture"] == "v1":
        model_cfg = ModelV1Config(**common, n_vars=family["n_vars"], pseudo_inputs=spec["pseudo_inputs"],
                                  pseudo_samples=spec["pseudo_samples"])
    else:
        model_cfg = ModelConfig(**common, k=spec["k"])
    training = config["activa"]["training"]
    train_cfg = TrainConfig(batch_size=spec["batch_size"], epochs=spec["epochs"], lr=spec["lr"], beta=spec["beta"],
                            seed=spec["seed"], regimes=spec["regimes"], grad_clip_norm=training["grad_clip_norm"],
                            steps_per_call=training["steps_per_call"], checkpoint_every=training["checkpoint_every"])
    return model_cfg, train_cfg, spec


def run_train(config: dict, variant: str, data_path: Path, out_model: Path, out_log: Path, out_figures: list[Path],
              checkpoint_path: Path, progress: bool = True) -> None:
    """Stage ``train``: fit one ACTIVA variant (resuming from ``checkpoint_path`` if present).

    The checkpoint is deleted once the model file is written: it only exists while a run is unfinished.
    """
    from activa import checkpoint, plots, train

    model_cfg, train_cfg, spec = variant_configs(config, variant)
    data = read_samples(data_path)
    if data.meta.get("family") != spec["train_on"]:
        raise cfg.ConfigError(f"{data_path}: holds family {data.meta.get('family')!r}, but variant '{variant}' "
                              f"trains on '{spec['train_on']}'")
    params, log = train.fit(data, model_cfg, train_cfg, checkpoint_path, progress=progress, describe=f"train {variant}")
    write_text(out_log, log.to_csv(index=False, float_format="%.6g"))
    plots.loss_curve(log, out_figures, f"ACTIVA {spec['architecture']} {variant}: {len(log)} steps, "
                                      f"batch {train_cfg.batch_size}")
    checkpoint.save(out_model, {"params": params}, {
        "architecture": spec["architecture"], "model_config": model_cfg.to_dict(),
        "train_config": dataclasses.asdict(train_cfg), "variant": variant, "family": spec["train_on"],
        "intervention_values": data.meta["intervention_values"],
        "steps": int(log["step"].iloc[-1]) if len(log) else 0, "activa_version": data.meta.get("activa_version")})
    Path(checkpoint_path).unlink(missing_ok=True)


def run_training_cost(config: dict, model_paths: list[Path], log_paths: list[Path], out_prefix: Path) -> pd.DataFrame:
    """Stage ``training-cost``: parameters, steps, time and final loss of each trained variant (CSV, Markdown).

    model_paths and log_paths pair up in order (results/models/<variant>/model.msgpack and train_log.csv).
    """
    import jax

    from activa import checkpoint

    if len(model_paths) != len(log_paths):
        raise cfg.ConfigError(f"training-cost: {len(model_paths)} model files but {len(log_paths)} logs")
    runs = []
    for model_path, log_path in zip(model_paths, log_paths):
        tree, meta = checkpoint.load(model_path)
        if "train_config" not in meta or "variant" not in meta:
            raise DataError(f"{model_path}: not a trained-model file (no train_config/variant in its metadata)")
        try:
            log = pd.read_csv(log_path)
        except (FileNotFoundError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(f"{log_path}: not a readable training log: {exc}") from None
        missing = {"loss", "recon", "steps_per_s"} - set(log.columns)
        if missing:
            raise DataError(f"{log_path}: missing column(s) {sorted(missing)}")
        n_params = int(sum(np.size(x) for x in jax.tree.leaves(tree["params"])))
        runs.append((meta["variant"], meta, n_params, log))
    table = tables.training_cost(runs, config)
    out_prefix = Path(out_prefix)
    write_text(out_prefix.with_suffix(".csv"), table.to_csv(index=False, float_format="%.6g"))
    write_text(out_prefix.with_suffix(".md"), tables.training_cost_markdown(table))
    return table


METHOD_LATENTS = {"activa": None, "activa_1latent": 1}  # None: the config's inference.n_latents


def run_predict(config: dict, method: str, model_path: Path, data_path: Path, family: str, out: Path,
                progress: bool = True) -> None:
    """Stage ``predict``: ACTIVA's samples for every interventional regime of every test SCM.

    method: ``activa`` (the config's n_latents latents per query) or ``activa_1latent`` for the v2 model of
    Table 1, or a variant's name (n_latents latents; the v1 models and the v1-vs-v2 comparison).
    """
    from activa.api import TrainedModel
    from activa.inference import predict_queries

    variants = config["activa"]["variants"]
    if method not in METHOD_LATENTS and method not in variants:
        raise cfg.ConfigError(f"predict: unknown method '{method}', expected one of "
                              f"{', '.join([*METHOD_LATENTS, *variants])}")
    inference = config["activa"]["inference"]
    n_latents = METHOD_LATENTS.get(method) or inference["n_latents"]
    model = TrainedModel.load(model_path)
    if method in variants and model.meta.get("variant") != method:
        raise cfg.ConfigError(f"{model_path}: model of variant {model.meta.get('variant')!r}, but method '{method}' "
                              "names the variant whose model predicts")
    truth = read_samples(data_path)
    if tuple(truth.meta["intervention_values"]) != model.intervention_values:
        raise cfg.ConfigError(f"{data_path}: intervention values {truth.meta['intervention_values']} differ from the "
                              f"model's {list(model.intervention_values)}")
    S, _, N, d = truth.samples.shape
    regimes = truth.interventional
    obs = np.repeat(truth.samples[:, np.flatnonzero(truth.target < 0)[0]], len(regimes), axis=0)
    target = np.tile(truth.target[regimes], S).astype(np.int32)
    value_index = np.tile(truth.value_index[regimes], S).astype(np.int32)
    seed = int(scm.seed_sequence(config["seed"], "predict", method, family).generate_state(1)[0] % 2**31)
    samples = predict_queries(model.params, model.module, obs, target, value_index, n_latents=n_latents,
                              n_samples=N, seed=seed, batch_size=inference["batch_size"], progress=progress)
    pred = Samples(samples.reshape(S, len(regimes), N, d), truth.target[regimes], truth.value_index[regimes],
                   truth.value[regimes], truth.scm, truth.regime[regimes])
    write_samples(out, pred, {**_family_meta(config, family, truth.meta.get("split", "test")), "kind": "predictions",
                              "method": method, "n_latents": n_latents, "model": str(model_path),
                              "variant": model.meta.get("variant")})
