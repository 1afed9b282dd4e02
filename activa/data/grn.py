"""Real gene-regulatory networks and the subnetworks SERGIO simulates on.

Networks: the E. coli (RegulonDB 6.7) and S. cerevisiae (Balaji et al. 2006) transcriptional networks, as
shipped in the ``avici==1.0.7`` wheel on PyPI (data files only; no AVICI code is used). ``fetch_networks``
downloads the wheel with pip, checks its SHA-256 and the two files' SHA-256, and writes them atomically.

Subnetworks: the module extraction of Marbach et al. (2009) as AVICI applies it. Seed at a random regulator
(a gene with an outgoing edge); then, d - 1 times, among the neighbours of the chosen set in the undirected
skeleton, rank each candidate n by the modularity of the set with n added and pick uniformly among the
top ``floor(topk * #candidates) + 1``; keep every directed edge among the chosen genes, drop self-loops,
break cycles by a depth-first search from a random start order that deletes each edge closing a cycle,
and permute the genes at random.

The modularity of a set S (s = +1 on S, -1 elsewhere) is s^T B s / 4m with B = A - k k^T / 2m (A the
undirected skeleton, k its degrees, m its edge count). Adding n changes s^T B s by 4 (B s)_n + 4 B_nn, and
(B s)_n = 2 c_n - k_n K_S / m, with c_n the neighbours of n in S and K_S the degree sum of S, so candidates
are ranked by 2 c_n - k_n K_S / m - k_n^2 / 2m in O(candidates) instead of O(genes^2) per step. Ties are
broken uniformly at random.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from activa.data.format import DataError
from activa.data.resources import fetch_wheel_files

WHEEL = "avici==1.0.7"
WHEEL_SHA256 = "c0b0467c2be98a64c675783e3adf4d77b0242ba53991f6a9b9f78e41821c2972"
NETWORK_FILES = {
    "ecoli": ("ecoli_transcriptional_network_regulonDB_6_7.tsv",
              "284a74edd33c1a5e6be00d2d4a868fbe8898b535f40393411fc19f12d2c1d3e8"),
    "yeast": ("yeast_transcriptional_network_Balaji2006.tsv",
              "1d0f592441b5b35b37c90613f72669d6c22754994188cdb4ac7df69c049d7c3d"),
}


def network_paths(directory: str | Path) -> dict[str, Path]:
    """Network name -> its TSV in ``directory`` (where stage ``networks`` wrote them), for ``sergio.simulate``."""
    return {name: Path(directory) / filename for name, (filename, _) in NETWORK_FILES.items()}


def fetch_networks(dest_dir: str | Path, local_dir: str | Path | None = None) -> dict[str, Path]:
    """Write the two network TSVs into ``dest_dir``; returns {name: path}.

    From ``local_dir`` (a folder holding copies) when given, else from the ``avici==1.0.7`` wheel that
    ``pip download`` fetches from PyPI. Every file's SHA-256 is checked before it is written.
    """
    return fetch_wheel_files(WHEEL, WHEEL_SHA256, "avici/assets", NETWORK_FILES, dest_dir, local_dir, "network")


@dataclass(frozen=True)
class Network:
    """A directed network: gene names [n], adjacency [n, n] bool (edge i -> j), undirected neighbour lists."""

    genes: tuple[str, ...]
    adjacency: np.ndarray

    @property
    def skeleton(self) -> np.ndarray:
        a = self.adjacency | self.adjacency.T
        np.fill_diagonal(a, False)
        return a


def load_network(path: str | Path) -> Network:
    """Parse a TSV of edges ``regulator<TAB>target[<TAB>sign]`` (no header); self-loops are dropped."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: network file not found")
    edges = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) not in (2, 3) or not fields[0] or not fields[1]:
            raise DataError(f"{path}: line {number}: expected 'regulator<TAB>target[<TAB>sign]', got {line!r}")
        edges.append((fields[0], fields[1]))
    if not edges:
        raise DataError(f"{path}: no edges")
    genes = tuple(sorted({g for e in edges for g in e}))
    index = {g: i for i, g in enumerate(genes)}
    adjacency = np.zeros((len(genes), len(genes)), bool)
    for u, v in edges:
        adjacency[index[u], index[v]] = True
    np.fill_diagonal(adjacency, False)
    return Network(genes, adjacency)


class ModuleExtractor:
    """Draws subnetworks of one network (precomputes its skeleton, degrees and neighbour lists)."""

    def __init__(self, network: Network, topk: float = 0.2):
        if not 0.0 <= topk <= 1.0:
            raise ValueError(f"topk: expected a fraction in [0, 1], got {topk}")
        self.network = network
        self.topk = topk
        skeleton = network.skeleton
        self.degree = skeleton.sum(axis=1).astype(np.float64)
        self.m = self.degree.sum() / 2
        self.neighbours = [np.flatnonzero(row) for row in skeleton]
        self.regulators = np.flatnonzero(network.adjacency.any(axis=1))

    def nodes(self, rng: np.random.Generator, d: int) -> np.ndarray:
        """Indices [d] of a module grown from a random regulator (see the module docstring)."""
        n = len(self.degree)
        if not 1 < d < n:
            raise ValueError(f"d: expected 1 < d < {n} (the network's size), got {d}")
        chosen = [int(rng.choice(self.regulators))]
        in_set = np.zeros(n, bool)
        in_set[chosen[0]] = True
        contacts = np.zeros(n)  # c_n: neighbours of n in the set
        contacts[self.neighbours[chosen[0]]] += 1
        degree_sum = self.degree[chosen[0]]
        for _ in range(d - 1):
            candidates = np.flatnonzero((contacts > 0) & ~in_set)
            if not len(candidates):
                candidates = np.flatnonzero(~in_set)
            k = self.degree[candidates]
            score = 2 * contacts[candidates] - k * degree_sum / self.m - k**2 / (2 * self.m)
            top = math.floor(self.topk * len(candidates)) + 1
            order = np.lexsort((rng.random(len(candidates)), -score))  # best first, ties at random
            u = int(candidates[order[rng.integers(top)]])
            chosen.append(u)
            in_set[u] = True
            contacts[self.neighbours[u]] += 1
            degree_sum += self.degree[u]
        return np.asarray(chosen)

    def subnetwork(self, rng: np.random.Generator, d: int) -> np.ndarray:
        """Adjacency [d, d] uint8 of a random module, made acyclic and randomly permuted."""
        nodes = self.nodes(rng, d)
        sub = self.network.adjacency[np.ix_(nodes, nodes)].copy()
        sub = break_cycles(rng, sub)
        perm = rng.permutation(d)
        return sub[np.ix_(perm, perm)].astype(np.uint8)


def break_cycles(rng: np.random.Generator, adjacency: np.ndarray) -> np.ndarray:
    """Depth-first search from a random start order, deleting every edge that closes a cycle (in place)."""
    d = len(adjacency)
    colour = np.zeros(d, np.int8)  # 0 unseen, 1 on the stack, 2 done

    def visit(u):
        colour[u] = 1
        for v in np.flatnonzero(adjacency[u]):
            if colour[v] == 1:
                adjacency[u, v] = False
            elif colour[v] == 0:
                visit(v)
        colour[u] = 2

    for start in rng.permutation(d):
        if colour[start] == 0:
            visit(start)
    return adjacency
