"""Markov equivalence classes of small DAGs (d <= 12), numpy only.

Graphs are bool arrays of shape [d, d]. A DAG ``adj`` has the edge i -> j iff ``adj[i, j]``. A PDAG (or CPDAG)
``p`` has i -> j iff ``p[i, j] and not p[j, i]``, and the undirected edge i - j iff ``p[i, j] and p[j, i]``.

- ``meek_closure``: Meek's orientation rules R1-R4 (Meek 1995) to a fixed point.
- ``cpdag_of``: the CPDAG (essential graph) of a DAG.
- ``is_cpdag_like``: whether a PDAG's consistent extensions are the product of the acyclic moral orientations
  (AMOs) of its chain components, so that they can be counted, enumerated and sampled below.
- ``class_size``, ``enumerate_dags``, ``sample_dags``: the root-based decomposition of He, Jia & Yu (2015),
  "Counting and exploring sizes of Markov equivalence classes of directed acyclic graphs" (JMLR 16).
- ``extension``: one consistent DAG extension of any PDAG (Dor & Tarsi 1992; Chickering 2002).
- ``dags_of_class``: the DAGs a discover-then-estimate method averages over, given a discovered PDAG.
- ``all_dags``: every DAG on d labelled nodes (for tests; d <= 5).

"The class" of a CPDAG-like PDAG means its consistent extensions: DAGs with the same skeleton, the same directed
edges and the same v-structures. For the CPDAG of a DAG this is its Markov equivalence class.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = [
    "all_dags",
    "class_size",
    "cpdag_of",
    "dags_of_class",
    "enumerate_dags",
    "extension",
    "is_cpdag_like",
    "meek_closure",
    "sample_dags",
]


def _graph(x: np.ndarray) -> np.ndarray:
    """A bool copy of a square [d, d] graph without self loops; ValueError otherwise."""
    g = np.array(x, dtype=bool)
    if g.ndim != 2 or g.shape[0] != g.shape[1]:
        raise ValueError(f"a graph must be a square [d, d] array, got shape {g.shape}")
    if g.diagonal().any():
        raise ValueError("a graph must not have self loops")
    return g


def _parts(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(directed, undirected, adjacent), each bool [d, d], of a PDAG [d, d]."""
    return p & ~p.T, p & p.T, p | p.T


def _is_acyclic(adj: np.ndarray) -> bool:
    """Whether the directed graph adj [d, d] has no directed cycle (repeatedly removes sources)."""
    alive = np.ones(adj.shape[0], bool)
    while alive.any():
        sources = alive & ~adj[alive].any(axis=0)
        if not sources.any():
            return False
        alive &= ~sources
    return True


def _components(undirected: np.ndarray) -> list[list[int]]:
    """Connected components (sorted lists, ordered by their smallest node) of the undirected graph [d, d]."""
    seen: set[int] = set()
    out = []
    for start in range(undirected.shape[0]):
        if start in seen:
            continue
        comp, stack = [], [start]
        seen.add(start)
        while stack:
            v = stack.pop()
            comp.append(v)
            for w in np.flatnonzero(undirected[v]).tolist():
                if w not in seen:
                    seen.add(w)
                    stack.append(w)
        out.append(sorted(comp))
    return out


def _is_chordal(undirected: np.ndarray, nodes: list[int]) -> bool:
    """Whether the subgraph of undirected [d, d] induced by nodes is chordal (repeated simplicial elimination)."""
    left = set(nodes)
    while left:
        for v in sorted(left):
            nbrs = [w for w in np.flatnonzero(undirected[v]).tolist() if w in left]
            if all(undirected[a, b] for a, b in itertools.combinations(nbrs, 2)):
                left.remove(v)
                break
        else:
            return False
    return True


def meek_closure(pdag: np.ndarray) -> np.ndarray:
    """Apply Meek's rules R1-R4 (Meek 1995) until none applies; pdag [d, d] bool -> new [d, d] bool.

    R1: a -> b - c, a and c non-adjacent  =>  b -> c.
    R2: a -> c -> b and a - b  =>  a -> b.
    R3: a - c1 -> b, a - c2 -> b, c1 and c2 non-adjacent, a - b  =>  a -> b.
    R4: a - k -> l -> b, k and b non-adjacent, a and l adjacent, a - b  =>  a -> b.
    All rules are applied at once per sweep; should an inconsistent PDAG have an edge oriented both ways in one
    sweep, the orientation from the smaller node index wins (the result is deterministic).
    """
    p = _graph(pdag)
    eye = np.eye(p.shape[0], dtype=bool)
    while True:
        directed, undirected, adjacent = _parts(p)
        if not undirected.any():
            return p
        D, U, A = directed.astype(np.int64), undirected.astype(np.int64), adjacent.astype(np.int64)
        N = (~adjacent & ~eye).astype(np.int64)
        r1 = (D.T @ N) > 0  # [b, c]: some a -> b with a, c non-adjacent
        r2 = (D @ D) > 0  # [a, b]: some a -> c -> b
        r3 = np.einsum("ac,cb,ae,eb,ce->ab", U, D, U, D, N) > 0
        r4 = np.einsum("ak,kl,lb,kb,al->ab", U, D, D, N, A) > 0
        orient = undirected & (r1 | r2 | r3 | r4)
        if not orient.any():
            return p
        orient &= ~(orient.T & np.tril(np.ones_like(orient), -1))  # both ways at once: keep i -> j for i < j
        p &= ~orient.T


def cpdag_of(dag: np.ndarray) -> np.ndarray:
    """The CPDAG (essential graph) [d, d] of a DAG [d, d]: the v-structures i -> k <- j (i, j non-adjacent)
    directed, every other skeleton edge undirected, then ``meek_closure`` (Meek 1995; Chickering 2002)."""
    g = _graph(dag)
    adjacent = g | g.T
    nonadjacent = ~adjacent & ~np.eye(g.shape[0], dtype=bool)
    in_v = g & ((nonadjacent.astype(np.int64) @ g.astype(np.int64)) > 0)  # i -> k with some j -> k, j !~ i
    return meek_closure(adjacent & ~in_v.T)


def is_cpdag_like(pdag: np.ndarray) -> bool:
    """Whether pdag [d, d] is a chain graph with chordal chain components that is closed under Meek's rules.

    Chain graph: no directed edge joins two nodes of one chain component (connected component of the undirected
    edges), and the directed edges between components form no cycle (so the directed part is acyclic). For such a
    PDAG the consistent extensions are exactly the combinations of one acyclic moral orientation (AMO) per chain
    component (Andersson, Madigan & Perlman 1997; He, Jia & Yu 2015); every CPDAG qualifies. The chain-graph
    condition is stronger than an acyclic directed part: a -> b with a - c - b is Meek-closed with a chordal
    component, but orienting b -> c -> a would close a cycle.
    """
    p = _graph(pdag)
    directed, undirected, _ = _parts(p)
    comps = _components(undirected)
    label = np.empty(p.shape[0], np.int64)
    for k, comp in enumerate(comps):
        label[comp] = k
    src, dst = np.nonzero(directed)
    if np.any(label[src] == label[dst]):
        return False
    quotient = np.zeros((len(comps), len(comps)), bool)
    quotient[label[src], label[dst]] = True
    if not _is_acyclic(quotient):
        return False
    if not all(_is_chordal(undirected, comp) for comp in comps):
        return False
    return bool(np.array_equal(meek_closure(p), p))


class _RootedAMOs:
    """Root-based decomposition (He, Jia & Yu 2015) of the AMOs of the chordal components of an undirected graph.

    ``undirected`` [d, d]: the undirected edges of a CPDAG-like PDAG. A component is a frozenset of nodes; its
    graph is the induced subgraph. An AMO of a connected chordal graph has exactly one source v; the v-rooted AMOs
    are the orientations of ``rooted(C, v)``'s directed edges combined with one AMO of each remaining component.
    """

    def __init__(self, undirected: np.ndarray):
        self.undirected = undirected
        self.d = undirected.shape[0]
        self._rooted: dict[tuple[frozenset[int], int], tuple[np.ndarray, list[frozenset[int]]]] = {}
        self._counts: dict[frozenset[int], int] = {}
        self._dags: dict[frozenset[int], np.ndarray] = {}

    def rooted(self, comp: frozenset[int], v: int) -> tuple[np.ndarray, list[frozenset[int]]]:
        """(edges oriented [d, d] bool, components left undirected) after orienting comp's edges at v out of v
        and closing comp's induced subgraph under Meek's rules."""
        key = (comp, v)
        if key not in self._rooted:
            idx = sorted(comp)
            sub = self.undirected[np.ix_(idx, idx)].copy()
            sub[:, idx.index(v)] = False  # v -> w for every neighbour w
            sub = meek_closure(sub)
            directed, undirected, _ = _parts(sub)
            oriented = np.zeros((self.d, self.d), bool)
            oriented[np.ix_(idx, idx)] = directed
            rest = [frozenset(idx[i] for i in c) for c in _components(undirected)]
            self._rooted[key] = (oriented, [c for c in rest if len(c) > 1])
        return self._rooted[key]

    def rooted_count(self, comp: frozenset[int], v: int) -> int:
        """The number of AMOs of comp whose source is v."""
        return math.prod(self.count(c) for c in self.rooted(comp, v)[1])

    def count(self, comp: frozenset[int]) -> int:
        """#AMO(comp) = sum over v in comp of rooted_count(comp, v); 1 for a single node."""
        if len(comp) == 1:
            return 1
        if comp not in self._counts:
            self._counts[comp] = sum(self.rooted_count(comp, v) for v in sorted(comp))
        return self._counts[comp]

    def dags(self, comp: frozenset[int]) -> np.ndarray:
        """Every AMO of comp, bool [#AMO(comp), d, d] (only comp's edges set), roots in increasing order."""
        if len(comp) == 1:
            return np.zeros((1, self.d, self.d), bool)
        if comp not in self._dags:
            blocks = []
            for v in sorted(comp):
                oriented, rest = self.rooted(comp, v)
                blocks.append(_product(oriented[None], [self.dags(c) for c in rest]))
            self._dags[comp] = np.concatenate(blocks)
        return self._dags[comp]

    def sample_into(self, comp: frozenset[int], rows: np.ndarray, out: np.ndarray, rng: np.random.Generator):
        """Draw an AMO of comp uniformly for each of out[rows] (out: bool [n, d, d]) and OR it in."""
        if len(comp) == 1 or len(rows) == 0:
            return
        roots = sorted(comp)
        weights = np.array([self.rooted_count(comp, v) for v in roots], dtype=float)
        choice = rng.choice(len(roots), size=len(rows), p=weights / weights.sum())
        for k, v in enumerate(roots):
            sel = rows[choice == k]
            if len(sel) == 0:
                continue
            oriented, rest = self.rooted(comp, v)
            out[sel] |= oriented
            for c in rest:
                self.sample_into(c, sel, out, rng)


def _product(base: np.ndarray, factors: list[np.ndarray]) -> np.ndarray:
    """Cartesian product by OR: base [m, d, d] and each factor [m_i, d, d] -> [m * prod m_i, d, d], row-major."""
    out = base
    for f in factors:
        out = (out[:, None] | f[None, :]).reshape(-1, *base.shape[1:])
    return out


def _chain_components(cpdag: np.ndarray) -> tuple[np.ndarray, _RootedAMOs, list[frozenset[int]]]:
    """Validate a CPDAG-like PDAG [d, d]: (its directed part [d, d], the decomposition, its non-trivial chain
    components); ValueError if ``is_cpdag_like`` fails."""
    p = _graph(cpdag)
    if not is_cpdag_like(p):
        raise ValueError("not a CPDAG-like PDAG (see is_cpdag_like); use extension() or dags_of_class()")
    directed, undirected, _ = _parts(p)
    comps = [frozenset(c) for c in _components(undirected) if len(c) > 1]
    return directed, _RootedAMOs(undirected), comps


def class_size(cpdag: np.ndarray) -> int:
    """The number of DAGs in the class of cpdag [d, d]: the product over chain components of their #AMO, each
    counted by the root-based recursion of He, Jia & Yu (2015), memoized on the component's node set."""
    _, amos, comps = _chain_components(cpdag)
    return math.prod(amos.count(c) for c in comps)


def enumerate_dags(cpdag: np.ndarray, limit: int) -> np.ndarray | None:
    """Every DAG of the class of cpdag [d, d] as bool [k, d, d] (deterministic order), or None if k > limit.

    Root-based enumeration (He, Jia & Yu 2015): the v-rooted AMOs of a chain component are disjoint across v, so
    there are no duplicates; chain components combine as a cartesian product.
    """
    directed, amos, comps = _chain_components(cpdag)
    if math.prod(amos.count(c) for c in comps) > limit:
        return None
    return _product(directed[None], [amos.dags(c) for c in comps])


def sample_dags(cpdag: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n DAGs drawn independently and uniformly from the class of cpdag [d, d], bool [n, d, d].

    Per chain component C: the root v with probability rooted(C, v) / #AMO(C), orient, and recurse into the
    components left undirected (He, Jia & Yu 2015); each DAG then has probability 1 / #AMO(C) per component.
    """
    directed, amos, comps = _chain_components(cpdag)
    out = np.repeat(directed[None], n, axis=0)
    rows = np.arange(n)
    for c in comps:
        amos.sample_into(c, rows, out, rng)
    return out


def extension(pdag: np.ndarray) -> np.ndarray | None:
    """One consistent DAG extension [d, d] of pdag [d, d] (Dor & Tarsi 1992), or None if it has none.

    Repeatedly remove the smallest node x that is a sink (no directed edge out of x among the remaining nodes)
    and whose undirected neighbours are adjacent to all of x's other remaining neighbours, orienting x's
    undirected edges into x. The result keeps the skeleton, the directed edges and the v-structures.
    """
    p = _graph(pdag)
    directed, undirected, adjacent = _parts(p)
    dag = directed.copy()
    alive = np.ones(p.shape[0], bool)
    while alive.any():
        for x in np.flatnonzero(alive).tolist():
            if (directed[x] & alive).any():
                continue
            nbrs = np.flatnonzero(adjacent[x] & alive)
            und = np.flatnonzero(undirected[x] & alive)
            if all(adjacent[y, nbrs[nbrs != y]].all() for y in und):
                dag[und, x] = True
                alive[x] = False
                break
        else:
            return None
    return dag


def dags_of_class(pdag: np.ndarray, max_dags: int, rng: np.random.Generator) -> tuple[np.ndarray, int, str]:
    """The DAGs [k, d, d] bool a discover-then-estimate method uses for pdag [d, d], the class size, and how.

    - "enumerated": meek_closure(pdag) is CPDAG-like with at most max_dags DAGs: all of them (size = class size).
    - "sampled": CPDAG-like with more: max_dags uniform draws with replacement (size = class size).
    - "extended": not CPDAG-like (e.g. conflicting orientations) but extendable: one Dor-Tarsi extension, size 0.
    - "fallback": no extension: the skeleton oriented i -> j for i < j, size 0.
    """
    p = _graph(pdag)
    closed = meek_closure(p)
    if is_cpdag_like(closed):
        size = class_size(closed)
        if size <= max_dags:
            return enumerate_dags(closed, size), size, "enumerated"
        return sample_dags(closed, max_dags, rng), size, "sampled"
    ext = extension(p)
    if ext is not None:
        return ext[None], 0, "extended"
    return np.triu(p | p.T, 1)[None], 0, "fallback"


def all_dags(d: int) -> np.ndarray:
    """Every DAG on d labelled nodes, bool [k, d, d] (k = 1, 3, 25, 543, 29281 for d = 1..5; slow beyond 5).

    Each unordered pair is absent, i -> j or j -> i (3 ** (d (d - 1) / 2) graphs); the cyclic ones are dropped.
    """
    pairs = list(itertools.combinations(range(d), 2))
    codes = np.array(list(itertools.product(range(3), repeat=len(pairs))), np.int64)
    codes = codes.reshape(3 ** len(pairs), len(pairs))
    graphs = np.zeros((len(codes), d, d), bool)
    for k, (i, j) in enumerate(pairs):
        graphs[:, i, j] = codes[:, k] == 1
        graphs[:, j, i] = codes[:, k] == 2
    adj = graphs.astype(np.int64)
    walks = adj.copy()
    for _ in range(d - 1):
        walks = np.minimum(walks @ adj, 1)  # walks of length d at the end: none iff acyclic (A^d = 0)
    return graphs[~walks.any(axis=(1, 2))]
