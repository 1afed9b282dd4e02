"""The paper comparison carries every published cell, ours beside it, and says where the settings differ."""

import math

import pandas as pd
import yaml

from activa.model import lineage
from activa.report import comparison


def _ours():
    return pd.DataFrame({"key": ["gauss2", "beta8"],
                         "activa_mmd": [0.35, float("nan")], "activa_wsd": [0.5, float("nan")],
                         "activa_erg": [0.6, float("nan")],
                         "baseline_mmd": [0.70, 1.03], "baseline_wsd": [1.1, 4.9], "baseline_erg": [1.4, 7.0]})


def test_every_published_cell_appears_once_with_ours_beside_it(root, smoke_config):
    facts = yaml.safe_load((root / "config/paper_values.yaml").read_text())
    frame = comparison.compare_table1(_ours(), facts["v2_table1"], facts["v2_settings"]["rows"], smoke_config)
    published = {(row, method, metric): value for row, methods in facts["v2_table1"]["rows"].items()
                 for method, cells in methods.items() for metric, value in cells.items()}
    assert len(frame) == len(published) == 36
    assert {(r.row, r.method, r.metric): r.published for r in frame.itertuples()} == published
    cell = frame.set_index(["row", "method", "metric"]).loc[("gauss2", "activa", "mmd")]
    assert cell["ours"] == 0.35 and math.isclose(cell["difference"], 0.35 - 0.29)
    assert math.isclose(cell["ratio"], 0.35 / 0.29)
    # smoke: 16 test SCMs and 2 epochs at batch 8, against the paper's 1000 and 5000 at 256
    assert cell["note"] == "test SCMs 16 (paper 1000); trained 2 epochs at batch 8 (paper 5000 epochs at 256)"
    missing = frame.set_index(["row", "method", "metric"]).loc[("beta8", "activa", "erg")]
    assert math.isnan(missing["ours"]) and missing["note"] == "not computed in this run"


def test_an_activa_note_says_how_its_model_was_trained(root, smoke_config):
    """From the model file's metadata, whatever the config says: a shipped model names its steps and device; a
    warm-started model every run of its lineage and their total."""
    from activa.model import shipped
    from activa.model.checkpoint import read_trained

    facts = yaml.safe_load((root / "config/paper_values.yaml").read_text())
    # the shipped file's metadata as one float32 run with no lineage (a model file from before lineages)
    shipped_meta = read_trained(shipped.MANIFEST.parent / "v2/gauss8.msgpack")[0]
    shipped_meta = {**{k: v for k, v in shipped_meta.items() if k != "lineage"},
                    "train_config": {**shipped_meta["train_config"], "precision": "float32"}}
    ours = pd.DataFrame({"key": ["gauss2", "gauss8"], **{f"{m}_{x}": [0.5, 0.5] for m in ("activa", "baseline")
                                                          for x in ("mmd", "wsd", "erg")}})
    tiny = {"variant": "gauss2", "steps": 6, "train_config": {"batch_size": 8}, "written_by": {"device": "cpu"}}
    frame = comparison.compare_table1(ours, facts["v2_table1"], facts["v2_settings"]["rows"], smoke_config,
                                      {"gauss8": shipped_meta, "gauss2": tiny}).set_index(["row", "method", "metric"])
    device = shipped_meta["written_by"]["device"]
    assert frame.loc[("gauss8", "activa", "mmd"), "note"] == (
        f"test SCMs 12 (paper 3000); shipped model: {shipped_meta['steps']:,} steps at batch 256 in float32, recipe "
        f"paper, on {device} (paper 3600 epochs at 256)")
    assert frame.loc[("gauss2", "activa", "mmd"), "note"] == (
        "test SCMs 16 (paper 1000); trained: 6 steps at batch 8 in float32, recipe paper, on cpu (paper 5000 epochs "
        "at 256)")
    continued = {**shipped_meta, "lineage": [lineage.legacy(shipped_meta), {
        **lineage.legacy(shipped_meta), "steps": 40000, "precision": "bfloat16", "date": "2026-12-02T10:00:00+00:00",
        "recipe": {"name": "fresh", "data": "fresh", "ema": None}}]}
    frame = comparison.compare_table1(ours, facts["v2_table1"], facts["v2_settings"]["rows"], smoke_config,
                                      {"gauss8": continued}).set_index(["row", "method", "metric"])
    assert frame.loc[("gauss8", "activa", "mmd"), "note"] == (
        f"test SCMs 12 (paper 3000); shipped model: {40000 + shipped_meta['steps']:,} steps in 2 runs: "
        f"{shipped_meta['steps']:,} steps at batch 256 in float32, recipe paper, on {device}; then 40,000 steps at "
        f"batch 256 in bfloat16, recipe fresh, on {device} (2026-12-02) (paper 3600 epochs at 256)")


def test_markdown_counts_computed_cells_and_wins(root, smoke_config):
    facts = yaml.safe_load((root / "config/paper_values.yaml").read_text())
    frame = comparison.compare_table1(_ours(), facts["v2_table1"], facts["v2_settings"]["rows"], smoke_config)
    text = comparison.to_markdown(frame, {"gauss2": "Gauss 2"}, "v2")
    assert "| Gauss 2 | activa | MMD | 0.29 | 0.35 | 0.06 | 1.21 |" in text
    assert "9 of 36 published cells computed in this run." in text
    assert "ACTIVA below the baseline in 3 of 3 (row, metric) cells where we have both (the paper: 3 of" in text


def test_v1_cells_are_matched_to_our_v1_layout_rows(root, smoke_config):
    facts = yaml.safe_load((root / "config/paper_values.yaml").read_text())
    v1_table1 = pd.DataFrame({"key": ["v1_gauss2", "gauss2"], "method": ["baseline", "baseline"],
                              "mmd": [0.7, 0.6], "wsd": [1.2, 1.0], "erg": [1.5, 1.4], "p_value": [0.01, 0.02]})
    frame = comparison.compare_v1(facts["v1_tables"], {"v1_table1": v1_table1}, smoke_config)
    assert len(frame) == 4 * len(facts["v1_tables"]["cells"]) == 56
    cells = frame.set_index(["table", "row", "method", "metric"])
    base = cells.loc[("v1 Table 1", "Gaussian", "baseline", "erg")]
    assert (base["published"], base["ours"], base["note"]) == (11.13, 1.5, "")
    assert cells.loc[("v1 Table 1", "Gaussian", "ACTIVA", "p_value"), "note"] == "not computed in this run"
    v1_table1["method"] = ["v1_gaussian", "baseline"]  # the v1 model's row, named by its variant
    frame = comparison.compare_v1(facts["v1_tables"], {"v1_table1": v1_table1}, smoke_config)
    mine = frame.set_index(["table", "row", "method", "metric"]).loc[("v1 Table 1", "Gaussian", "ACTIVA", "mmd")]
    assert (mine["published"], mine["ours"], mine["note"]) == (0.36, 0.7, "")
    unmatched = {"source": "x", "cells": [{**facts["v1_tables"]["cells"][1], "ours": None}]}
    assert comparison.compare_v1(unmatched, {}, smoke_config)["note"].tolist() == ["no counterpart in our tables"] * 4
    missing = cells.loc[("v1 Table 2", "Gaussian", "Baseline", "mmd")]
    assert math.isnan(missing["ours"]) and missing["note"] == "not computed in this run"


def test_each_method_is_divided_by_the_baseline_of_its_row_ours_and_the_papers(root, smoke_config):
    facts = yaml.safe_load((root / "config/paper_values.yaml").read_text())
    frame, text = comparison.compare(_ours(), {}, facts, smoke_config)
    cells = frame.set_index(["table", "row", "method", "metric"])
    activa = cells.loc[("v2 Table 1", "gauss2", "activa", "wsd")]
    assert math.isclose(activa["vs_baseline_ours"], 0.5 / 1.1) and math.isclose(activa["vs_baseline_paper"], 1.9 / 8.0)
    assert math.isnan(cells.loc[("v2 Table 1", "gauss2", "baseline", "wsd"), "vs_baseline_ours"])
    gaussian10 = cells.loc[("v1 Table 2", "Gaussian", "Gaussian 10", "erg")]  # v1: "Baseline", capitalised
    assert math.isclose(gaussian10["vs_baseline_paper"], 9.31 / 16.13) and math.isnan(gaussian10["vs_baseline_ours"])
    assert math.isnan(cells.loc[("v1 Table 1", "Gaussian", "ACTIVA", "p_value"), "vs_baseline_paper"])
    assert "| Gauss 2 | activa | WSD | 1.90 | 0.50 | -1.40 | 0.26 | 0.45 (0.24) |" in text


def test_a_baseline_cell_notes_which_hypothesis_reproduces_it(root, smoke_config):
    facts = yaml.safe_load((root / "config/paper_values.yaml").read_text())
    hits = pd.DataFrame([
        {"table": "v2 Table 1", "row": "gauss2", "metric": "wsd", "hypothesis": "correct", "is_baseline": True,
         "configured": True, "within": False},
        {"table": "v2 Table 1", "row": "gauss2", "metric": "wsd", "hypothesis": "query_at_0", "is_baseline": False,
         "configured": True, "within": True},
        {"table": "v2 Table 1", "row": "gauss2", "metric": "mmd", "hypothesis": "correct", "is_baseline": True,
         "configured": True, "within": True},
        {"table": "v2 Table 1", "row": "gauss2", "metric": "erg", "hypothesis": "query_at_0", "is_baseline": False,
         "configured": False, "within": True},  # another convention: not a reproduction under ours
    ])
    frame, _ = comparison.compare(_ours(), {}, facts, smoke_config, published_baseline=hits)
    notes = frame.set_index(["table", "row", "method", "metric"])["note"]
    notes = notes.str.removeprefix("test SCMs 16 (paper 1000); ")
    assert notes[("v2 Table 1", "gauss2", "baseline", "wsd")] == (
        "published value reproduced by `query_at_0`, not by the correct baseline")
    assert notes[("v2 Table 1", "gauss2", "baseline", "mmd")] == "published value reproduced by the correct baseline"
    assert notes[("v2 Table 1", "gauss2", "baseline", "erg")] == (
        "published value reproduced by neither the correct baseline nor a hypothesis")
    assert "reproduced" not in notes[("v2 Table 1", "gauss2", "activa", "wsd")]  # ACTIVA cells: no such note
    assert notes[("v2 Table 1", "beta8", "baseline", "wsd")] == "test SCMs 12 (paper 3000)"  # not scored: no claim


def test_the_paper_style_baseline_and_the_cells_at_or_below_the_paper(root, smoke_config):
    facts = yaml.safe_load((root / "config/paper_values.yaml").read_text())
    references = pd.DataFrame({"key": ["gauss2", "gauss2"], "scope": ["all", "all"],
                               "method": ["baseline", "paper_baseline"], "mmd": [0.70, 0.875], "wsd": [1.1, 8.0],
                               "erg": [1.4, 6.0]})
    frame, text = comparison.compare(_ours(), {}, {k: v for k, v in facts.items() if k != "v1_tables"}, smoke_config,
                                     references=references)
    cells = frame.set_index(["row", "method", "metric"])
    # the baseline's rows: our paper-style baseline beside the published one; ACTIVA's: its ratio to it
    assert cells.at[("gauss2", "baseline", "mmd"), "paper_baseline_ours"] == 0.875
    assert math.isclose(cells.at[("gauss2", "activa", "wsd"), "vs_paper_baseline_ours"], 0.5 / 8.0)
    assert math.isnan(cells.at[("beta8", "activa", "mmd"), "vs_paper_baseline_ours"])
    # ACTIVA on Gauss 2: 0.35 / 0.5 / 0.6 against the published 0.29 / 1.9 / 2.0: two of three at or below
    assert comparison.at_or_below(frame).to_dict("records") == [{"table": "v2 Table 1", "cells": 3, "at_or_below": 2}]
    assert "at or below the published value, per table: v2 Table 1 2 of 3." in text
    assert "| v2 Table 1 | Gauss 2 | activa | WSD | 1.90 | 0.50 | -1.40 | 0.26 | 0.45 (0.24) | 0.06 |" in text
