"""Family kind ``sachs``: real single-cell flow cytometry with interventions, no simulator (Sachs et al. 2005).

Data: 7,466 cells x 11 phosphoproteins, the nine standard conditions of the paper concatenated (their order and
sizes are config keys: ``families.<name>.conditions``), and the consensus network, as shipped in the ``cdt==0.6.0``
wheel on PyPI (data files only; no cdt code is used). ``fetch`` downloads the wheel with pip and checks its and the
two files' SHA-256 (``activa.data.resources``).

Preprocessing (``transform``, ``reference_mean``): log(1 + x), then each protein scaled by one factor so that its
mean over the reference condition's cells is ``reference_mean``, a value like the SERGIO-trained models' inputs (a
SERGIO gene's mean expression: median 1.8, quartiles 1.0-2.9 over the observational cells of 200 test simulations).
Zero stays zero, so a knockout do(V = 0) means "no signal" in the scale the model sees. The factors come from the
reference condition alone and are stored as the split's per-variable parameter ``scale``.

Regimes: the reference condition (``reference``, cd3cd28) is the observational regime; each inhibitor condition
(``interventions``: condition -> target protein) is a knockout of its target, do(V_t = 0) (value index 0). They
are soft interventions on a protein's activity, not on its measured level (U0126 raises measured pmek by 2.6 on
the log scale while p44/42 falls by 1.2), so a prediction is scored on the non-target proteins only
(``activa.eval.real``).

A split of S "SCMs" is S draws: in draw s every inhibitor condition's cells are split at random into two halves A and
B; the observational regime holds N cells drawn from the reference condition, regime t N cells drawn from half A.
The measured mean of regime t (``true_means``) is the mean of all of half A; ``draw_truth`` draws N cells of half B
(the floor: what a perfect prediction of the condition's distribution scores) and N new reference cells. A draw's
halves come from its own child of the split's seed, so ``draw_truth`` finds the same halves from the samples file's
metadata (seed, family, split).

The graph (``<split>.scms.parquet``: adjacency, the same for every draw) is the consensus network less
``drop_edges``: cdt's file holds the cycle PIP3 -> plcg -> PIP2 -> PIP3, and the methods told the graph need a DAG.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import json
from pathlib import Path

import numpy as np

from activa.data.format import DataError, Samples, SCMTable, TrueMeans
from activa.data.resources import fetch_wheel_files
from activa.data.scm import Regimes, seed_sequence

WHEEL = "cdt==0.6.0"
WHEEL_SHA256 = "a90401b688597c3ccf23cc7b10c62e19df69dc9277095bab40a1343c6e89996b"
FILES = {
    "cells": ("cyto_full_data.csv", "fc331dcd0bc1d8765986b88cd1d23dd5a3f52e4ffc299fdf96de9d522ddf01aa"),
    "consensus network": ("cyto_full_target.csv", "398bc137b2669432ef12e0c57d3783fa876c1c7e2377577d3e75410f085485f6"),
}
PROTEINS = ("praf", "pmek", "plcg", "PIP2", "PIP3", "p44/42", "pakts473", "PKA", "PKC", "P38", "pjnk")


def fetch(dest_dir: str | Path, local_dir: str | Path | None = None) -> dict[str, Path]:
    """Write the cells and consensus-network CSVs into ``dest_dir`` (from ``local_dir``, or the cdt wheel)."""
    return fetch_wheel_files(WHEEL, WHEEL_SHA256, "cdt/data/resources", FILES, dest_dir, local_dir)


@dataclasses.dataclass(frozen=True)
class Cells:
    """The preprocessed data of a family: values [n, d] float64 (scaled log(1 + x)), condition [n] int (index into
    ``conditions``), conditions (names, in the file's order), scale [d] (the per-protein factors), adjacency
    [d, d] uint8 (the consensus network less the dropped edges; [i, j] = 1 for i -> j)."""

    values: np.ndarray
    condition: np.ndarray
    conditions: tuple[str, ...]
    scale: np.ndarray
    adjacency: np.ndarray

    def of(self, name: str) -> np.ndarray:
        """[n_c, d] the cells of condition ``name``."""
        return self.values[self.condition == self.conditions.index(name)]


def _read_rows(path: Path, header: tuple[str, ...], what: str) -> list[list[str]]:
    if not path.exists():
        raise DataError(f"{path}: {what} file not found (stage sachs-data writes it)")
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))
    if not rows or tuple(rows[0]) != header:
        raise DataError(f"{path}: header is {rows[0] if rows else 'missing'}, expected {list(header)}")
    return rows[1:]


def consensus(path: Path, drop_edges: list[list[str]]) -> np.ndarray:
    """[d, d] uint8 adjacency of the consensus network (``Cause,Effect`` rows) less ``drop_edges``; ``DataError``
    naming the proteins on a cycle if what remains is not acyclic, or a dropped edge that is not in it."""
    index = {p: i for i, p in enumerate(PROTEINS)}
    adjacency = np.zeros((len(PROTEINS),) * 2, np.uint8)
    for number, row in enumerate(_read_rows(path, ("Cause", "Effect"), "consensus network"), start=2):
        if len(row) != 2 or row[0] not in index or row[1] not in index:
            raise DataError(f"{path}: line {number}: expected two of the proteins {', '.join(PROTEINS)}, got {row}")
        adjacency[index[row[0]], index[row[1]]] = 1
    for cause, effect in drop_edges:
        if cause not in index or effect not in index or not adjacency[index[cause], index[effect]]:
            raise DataError(f"drop_edges: {cause} -> {effect} is not an edge of the consensus network {path}")
        adjacency[index[cause], index[effect]] = 0
    reach = adjacency.astype(bool)  # the transitive closure: a protein reaching itself lies on a cycle
    for _ in range(len(PROTEINS)):
        reach = reach | (reach.astype(np.int64) @ adjacency > 0)
    on_cycle = [PROTEINS[i] for i in np.flatnonzero(np.diag(reach))]
    if on_cycle:
        raise DataError(f"{path}: the consensus network is not acyclic: {', '.join(on_cycle)} lie on a cycle; list "
                        "one of its edges in drop_edges")
    return adjacency


def load(resources: str | Path, spec: dict) -> Cells:
    """The family's cells, split into its conditions and preprocessed (module docstring), and its graph; read once
    per folder and family config (truth-pooled draws the other half once per run)."""
    return _load(str(Path(resources).resolve()), json.dumps(spec, sort_keys=True))


@functools.lru_cache(maxsize=4)
def _load(folder: str, spec_json: str) -> Cells:
    spec = json.loads(spec_json)
    resources = Path(folder)
    path = resources / FILES["cells"][0]
    rows = _read_rows(path, PROTEINS, "cells")
    sizes = [c["cells"] for c in spec["conditions"]]
    if len(rows) != sum(sizes):
        raise DataError(f"{path}: {len(rows)} cells, but the conditions of the config "
                        f"(families.<family>.conditions) add up to {sum(sizes)}")
    try:
        raw = np.asarray(rows, dtype=np.float64)
    except ValueError:
        raise DataError(f"{path}: every value must be a number") from None
    if raw.ndim != 2 or raw.shape[1] != len(PROTEINS) or not np.isfinite(raw).all() or (raw < 0).any():
        raise DataError(f"{path}: expected {len(PROTEINS)} finite, non-negative values per cell")
    names = tuple(c["name"] for c in spec["conditions"])
    condition = np.repeat(np.arange(len(names)), sizes)
    if spec["transform"] != "log1p":
        raise DataError(f"transform: expected 'log1p', got {spec['transform']!r}")
    logged = np.log1p(raw)
    reference = logged[condition == names.index(spec["reference"])]
    scale = spec["reference_mean"] / reference.mean(axis=0)
    adjacency = consensus(resources / FILES["consensus network"][0], spec["drop_edges"])
    return Cells(logged * scale, condition, names, scale, adjacency)


def inhibitors(spec: dict) -> list[str]:
    """The inhibitor conditions in the cells file's order (that of ``conditions``; a mapping's order is not kept
    by the files' JSON metadata)."""
    unknown = sorted(set(spec["interventions"]) - {c["name"] for c in spec["conditions"]})
    if unknown:
        raise DataError(f"interventions: condition(s) {unknown} are not among the conditions")
    return [c["name"] for c in spec["conditions"] if c["name"] in spec["interventions"]]


def condition_labels(spec: dict) -> list[str]:
    """The interventional regimes' names in the tables, e.g. 'cd3cd28+U0126 (do(pmek))' (the real-kind interface)."""
    return [f"{name} (do({spec['interventions'][name]}))" for name in inhibitors(spec)]


def regimes(spec: dict) -> Regimes:
    """Regime 0 the reference condition, then one knockout do(V_t = 0) per inhibitor condition (``inhibitors``)."""
    targets = [PROTEINS.index(spec["interventions"][name]) for name in inhibitors(spec)]
    n = len(targets)
    return Regimes(np.array([-1, *targets]), np.array([-1] + [0] * n), np.array([np.nan] + [0.0] * n),
                   tuple(spec["intervention_values"]))


@dataclasses.dataclass(frozen=True)
class Draws:
    """A split's draws: adjacency [S, d, d] (the graph, the same in every draw) and the preprocessing's scale [d]."""

    adjacency: np.ndarray
    scale: np.ndarray


def _halves(cells: Cells, spec: dict, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """(half A, half B) cells of every inhibitor condition, split at random (the first draws of ``rng``)."""
    out = []
    for name in inhibitors(spec):
        values = cells.of(name)
        order = rng.permutation(len(values))
        half = len(values) // 2
        out.append((values[order[:half]], values[order[half:]]))
    return out


def _draw_rngs(seed: np.random.SeedSequence, draws: np.ndarray) -> list[np.random.Generator]:
    children = seed.spawn(int(draws.max()) + 1 if len(draws) else 0)
    return [np.random.Generator(np.random.PCG64(children[s])) for s in draws]


def _pick(rng: np.random.Generator, values: np.ndarray, n: int, where: str) -> np.ndarray:
    if len(values) < n:
        raise DataError(f"{where}: {len(values)} cells, fewer than samples_per_regime = {n}")
    return values[rng.choice(len(values), size=n, replace=False)]


def make_split(config: dict, family: str, spec: dict, n_scm: int, seed: np.random.SeedSequence,
               resources: str | Path | None, progress=None, workers: int = 1) -> tuple[Draws, Regimes, np.ndarray]:
    """``n_scm`` draws of the family (module docstring): (draws, regimes, samples [S, R, N, d] float64)."""
    if resources is None:
        raise DataError(f"simulate: family '{family}' is made of the Sachs cells and needs --resources DIR "
                        "(stage sachs-data)")
    cells = load(resources, spec)
    n = spec["samples_per_regime"]
    reference = cells.of(spec["reference"])
    regime = regimes(spec)
    samples = np.zeros((n_scm, len(regime.target), n, len(PROTEINS)))
    for s, rng in enumerate(_draw_rngs(seed, np.arange(n_scm))):
        halves = _halves(cells, spec, rng)
        samples[s, 0] = _pick(rng, reference, n, f"condition {spec['reference']}")
        for r, ((a, _), name) in enumerate(zip(halves, inhibitors(spec))):
            samples[s, 1 + r] = _pick(rng, a, n, f"half of condition {name}")
        if progress is not None:
            progress(1)
    return Draws(np.repeat(cells.adjacency[None], n_scm, axis=0), cells.scale), regime, samples


def scm_columns(params: Draws) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """The ``.scms.parquet`` columns: the graph, no weights (zeros: nothing is known of the mechanisms), and the
    preprocessing's per-protein scale as the one per-variable parameter."""
    S, d, _ = params.adjacency.shape
    scale = np.broadcast_to(params.scale[None, :, None], (S, d, 1)).astype(np.float64)
    return (params.adjacency, np.zeros((S, d, d)), scale,
            {"noise_family": "sachs", "noise_param_names": ["scale"], "proteins": list(PROTEINS)})


def _check_truth(truth: Samples, spec: dict) -> None:
    expected = regimes(spec).target
    if not np.array_equal(truth.target, expected):
        raise DataError(f"truth samples: regimes {truth.target.tolist()} are not the Sachs family's {expected.tolist()}")


def _split_seed(truth: Samples) -> np.random.SeedSequence:
    meta = truth.meta
    missing = [key for key in ("seed", "family", "split") if key not in meta]
    if missing:
        raise DataError(f"truth samples: metadata lacks {missing}, needed to find each draw's halves")
    return seed_sequence(meta["seed"], "simulate", meta["family"], meta["split"])


def draw_truth(truth: Samples, scms: SCMTable, spec: dict, rng: np.random.Generator,
               resources: str | Path | None = None) -> np.ndarray:
    """A new draw of every regime of ``truth``'s draws: N reference cells, and N cells of each condition's half B
    (the half the truth's cells are not from): [S, R, N, d] float64."""
    if resources is None:
        raise DataError("Sachs family: drawing the other half of the cells needs --resources DIR (stage sachs-data)")
    _check_truth(truth, spec)
    cells = load(resources, spec)
    n = truth.samples.shape[2]
    reference = cells.of(spec["reference"])
    out = np.zeros(truth.samples.shape)
    for s, draw_rng in enumerate(_draw_rngs(_split_seed(truth), truth.scm)):
        halves = _halves(cells, spec, draw_rng)
        out[s, 0] = _pick(rng, reference, n, f"condition {spec['reference']}")
        for r, (_, b) in enumerate(halves):
            out[s, 1 + r] = _pick(rng, b, n, "the other half of a condition")
    return out


def true_means(scms: SCMTable, truth: Samples, pooled_means: np.ndarray, runs: int,
               resources: str | Path | None = None) -> tuple[TrueMeans, str]:
    """The measured means: of all the reference cells (observational regime) and of each condition's half A."""
    from activa.eval.effects import descendant_mask

    if resources is None:
        raise DataError("Sachs family: the measured means need --resources DIR (stage sachs-data)")
    spec = truth.meta["config"]
    _check_truth(truth, spec)
    cells = load(resources, spec)
    S, R, _, d = truth.samples.shape
    mean = np.zeros((S, R, d))
    mean[:, 0] = cells.of(spec["reference"]).mean(axis=0)
    for s, draw_rng in enumerate(_draw_rngs(_split_seed(truth), truth.scm)):
        for r, (a, _) in enumerate(_halves(cells, spec, draw_rng)):
            mean[s, 1 + r] = a.mean(axis=0)
    means = TrueMeans(mean, descendant_mask(scms, truth), truth.scm, truth.regime, truth.target)
    return means, "measured: the reference condition's cells, and each condition's half of its cells the draw holds"
