"""Markov equivalence classes: Meek's rules, CPDAGs, counting, enumeration, uniform sampling and extensions,
checked against brute force over every DAG on up to 4 (and a sample on 5) nodes."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np
import pytest
from scipy.stats import chisquare

from activa.eval import mec


def pdag(d: int, directed=(), undirected=()) -> np.ndarray:
    """A PDAG [d, d] from lists of directed (i, j) and undirected (i, j) edges."""
    p = np.zeros((d, d), bool)
    for i, j in directed:
        p[i, j] = True
    for i, j in undirected:
        p[i, j] = p[j, i] = True
    return p


def complete(k: int) -> np.ndarray:
    return ~np.eye(k, dtype=bool)


def v_structures(g: np.ndarray) -> frozenset[tuple[int, int, int]]:
    """(i, k, j), i < j, for every i -> k <- j with i, j non-adjacent; of a DAG or of a PDAG's directed edges."""
    directed = g & ~g.T
    adjacent = g | g.T
    d = g.shape[0]
    return frozenset(
        (i, k, j)
        for k in range(d)
        for i, j in itertools.combinations(range(d), 2)
        if directed[i, k] and directed[j, k] and not adjacent[i, j]
    )


def acyclic(g: np.ndarray) -> bool:
    m = g.astype(np.int64)
    walks = np.eye(g.shape[0], dtype=np.int64)
    for _ in range(g.shape[0]):
        walks = np.minimum(walks @ m, 1)
    return not walks.any()


def markov_groups(d: int) -> dict[tuple, list[bytes]]:
    """All DAGs on d nodes grouped by (skeleton, v-structures) (Verma & Pearl 1990), as byte strings."""
    groups = defaultdict(list)
    for g in mec.all_dags(d):
        groups[((g | g.T).tobytes(), v_structures(g))].append(g.tobytes())
    return groups


def random_dag(d: int, density: float, rng: np.random.Generator) -> np.ndarray:
    order = rng.permutation(d)
    upper = np.triu(rng.random((d, d)) < density, 1)
    return upper[np.ix_(np.argsort(order), np.argsort(order))]


def assert_consistent_extension(dag: np.ndarray, p: np.ndarray) -> None:
    """dag has p's skeleton, p's directed edges and p's v-structures, and no cycle."""
    assert dag.dtype == bool
    assert not (dag & dag.T).any()
    assert np.array_equal(dag | dag.T, p | p.T)
    assert not ((p & ~p.T) & ~dag).any()
    assert acyclic(dag)
    assert v_structures(dag) == v_structures(p)


def test_all_dags_counts():
    assert [len(mec.all_dags(d)) for d in range(1, 5)] == [1, 3, 25, 543]
    dags = mec.all_dags(3)
    assert dags.dtype == bool and dags.shape == (25, 3, 3)
    assert len({g.tobytes() for g in dags}) == 25
    assert all(acyclic(g) for g in dags)


def test_meek_rules_one_by_one():
    r1 = mec.meek_closure(pdag(3, directed=[(0, 1)], undirected=[(1, 2)]))
    assert np.array_equal(r1, pdag(3, directed=[(0, 1), (1, 2)]))
    r1_shielded = pdag(3, directed=[(0, 1)], undirected=[(1, 2), (0, 2)])
    assert np.array_equal(mec.meek_closure(r1_shielded), r1_shielded)
    r2 = mec.meek_closure(pdag(3, directed=[(0, 1), (1, 2)], undirected=[(0, 2)]))
    assert np.array_equal(r2, pdag(3, directed=[(0, 1), (1, 2), (0, 2)]))
    # R3: a=0 - c1=1 -> b=3, a - c2=2 -> b, c1 and c2 non-adjacent, a - b  =>  a -> b
    r3 = pdag(4, directed=[(1, 3), (2, 3)], undirected=[(0, 1), (0, 2), (0, 3)])
    assert np.array_equal(mec.meek_closure(r3), pdag(4, directed=[(1, 3), (2, 3), (0, 3)], undirected=[(0, 1), (0, 2)]))
    # R4: a=0 - k=1 -> l=2 -> b=3, k and b non-adjacent, a - l, a - b  =>  a -> b
    r4 = pdag(4, directed=[(1, 2), (2, 3)], undirected=[(0, 1), (0, 2), (0, 3)])
    assert np.array_equal(mec.meek_closure(r4), pdag(4, directed=[(1, 2), (2, 3), (0, 3)], undirected=[(0, 1), (0, 2)]))
    original = r4.copy()
    mec.meek_closure(r4)
    assert np.array_equal(r4, original)  # a new array


def test_cpdag_of_small_graphs():
    assert np.array_equal(mec.cpdag_of(pdag(3, directed=[(0, 1), (1, 2)])), pdag(3, undirected=[(0, 1), (1, 2)]))
    collider = pdag(3, directed=[(0, 2), (1, 2)])
    assert np.array_equal(mec.cpdag_of(collider), collider)
    # a collider and its descendants: 0 -> 2 <- 1, then 2 -> 3 and 3 -> 4 by R1
    chain = pdag(5, directed=[(0, 2), (1, 2), (2, 3), (3, 4)])
    assert np.array_equal(mec.cpdag_of(chain), chain)
    assert mec.cpdag_of(chain).dtype == bool


@pytest.mark.parametrize("d", [2, 3, 4])
def test_against_brute_force(d):
    groups = markov_groups(d)
    for members in groups.values():
        expected = set(members)
        cpdags = {mec.cpdag_of(np.frombuffer(m, bool).reshape(d, d)).tobytes() for m in members}
        assert len(cpdags) == 1  # every member has the same CPDAG
        cpdag = np.frombuffer(cpdags.pop(), bool).reshape(d, d)
        assert mec.is_cpdag_like(cpdag)
        assert mec.class_size(cpdag) == len(members)
        for m in members:
            dags = mec.enumerate_dags(mec.cpdag_of(np.frombuffer(m, bool).reshape(d, d)), limit=10**6)
            assert dags.dtype == bool and dags.shape == (len(members), d, d)
            assert {g.tobytes() for g in dags} == expected
    assert sum(len(m) for m in groups.values()) == len(mec.all_dags(d))


def test_against_brute_force_on_five_nodes_sample():
    groups = markov_groups(5)
    assert len(groups) == 8782  # Markov equivalence classes on 5 labelled nodes (OEIS A007984)
    keys = sorted(groups, key=lambda k: (k[0], sorted(k[1])))
    rng = np.random.default_rng(5)
    picked = [keys[i] for i in rng.choice(len(keys), 300, replace=False)]
    picked.append(max(keys, key=lambda k: len(groups[k])))  # the complete graph's class, 120 DAGs
    for key in picked:
        members = groups[key]
        dag = np.frombuffer(members[-1], bool).reshape(5, 5)
        cpdag = mec.cpdag_of(dag)
        assert mec.class_size(cpdag) == len(members)
        assert {g.tobytes() for g in mec.enumerate_dags(cpdag, limit=10**6)} == set(members)


@pytest.mark.parametrize("k", range(1, 7))
def test_known_class_sizes(k):
    assert mec.class_size(complete(k)) == math.factorial(k)
    path = pdag(k, undirected=[(i, i + 1) for i in range(k - 1)])
    assert mec.class_size(path) == k
    star = pdag(k + 1, undirected=[(0, i) for i in range(1, k + 1)])
    assert mec.class_size(star) == k + 1
    assert len(mec.enumerate_dags(star, limit=k + 1)) == k + 1
    assert mec.enumerate_dags(star, limit=k) is None


def test_products_over_chain_components():
    # two chain components, a triangle (3! AMOs) and a path of 3 (3 AMOs)
    p = pdag(6, undirected=[(0, 1), (1, 2), (0, 2), (3, 4), (4, 5)])
    assert mec.class_size(p) == 6 * 3
    assert len({g.tobytes() for g in mec.enumerate_dags(p, limit=100)}) == 18


def test_four_cycle_is_not_cpdag_like():
    cycle = pdag(4, undirected=[(0, 1), (1, 2), (2, 3), (3, 0)])
    assert np.array_equal(mec.meek_closure(cycle), cycle)
    assert not mec.is_cpdag_like(cycle)
    with pytest.raises(ValueError):
        mec.class_size(cycle)
    assert mec.is_cpdag_like(pdag(4, undirected=[(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)]))


def test_partially_directed_cycle_is_not_cpdag_like():
    # a -> b with a - c - b: Meek-closed, chordal undirected part, acyclic directed part, but orienting b -> c -> a
    # would close a cycle, so the extensions are not a product of AMOs
    triangle = pdag(3, directed=[(0, 1)], undirected=[(0, 2), (1, 2)])
    assert np.array_equal(mec.meek_closure(triangle), triangle)
    assert not mec.is_cpdag_like(triangle)
    assert not mec.is_cpdag_like(pdag(3, directed=[(0, 1), (1, 2), (2, 0)]))
    assert not mec.is_cpdag_like(pdag(3, directed=[(0, 1)], undirected=[(1, 2)]))  # not Meek-closed


def test_sample_dags_is_uniform_on_the_complete_graph():
    cpdag = complete(4)
    members = {g.tobytes(): n for n, g in enumerate(mec.enumerate_dags(cpdag, limit=100))}
    assert len(members) == 24
    draws = mec.sample_dags(cpdag, 24_000, np.random.default_rng(0))
    assert draws.dtype == bool and draws.shape == (24_000, 4, 4)
    assert all(acyclic(g) for g in draws[:500])
    counts = np.bincount([members[g.tobytes()] for g in draws], minlength=24)  # KeyError if outside the class
    assert chisquare(counts).pvalue > 0.001


def test_sample_dags_is_uniform_on_an_uneven_class():
    # a fan: 0 joined to the path 1 - 2 - 3 - 4; 14 AMOs, of which 4, 2, 3, 3, 2 are rooted at 0, ..., 4, so
    # choosing the root uniformly (not by its rooted count) would fail
    cpdag = pdag(5, undirected=[(0, 1), (0, 2), (0, 3), (1, 2), (2, 3), (3, 4), (4, 0)])
    dags = mec.enumerate_dags(cpdag, limit=100)
    members = {g.tobytes(): n for n, g in enumerate(dags)}
    assert len(members) == mec.class_size(cpdag) == 14
    draws = mec.sample_dags(cpdag, 400 * len(members), np.random.default_rng(1))
    counts = np.bincount([members[g.tobytes()] for g in draws], minlength=len(members))
    assert chisquare(counts).pvalue > 0.001


def test_sample_and_enumerate_agree_on_random_six_node_classes():
    rng = np.random.default_rng(7)
    sizes = []
    for _ in range(6):
        cpdag = mec.cpdag_of(random_dag(6, 0.5, rng))
        size = mec.class_size(cpdag)
        sizes.append(size)
        dags = mec.enumerate_dags(cpdag, limit=10**6)
        assert len({g.tobytes() for g in dags}) == size == len(dags)
        for g in dags:
            assert np.array_equal(mec.cpdag_of(g), cpdag)
        draws = mec.sample_dags(cpdag, 30 * size + 100, rng)
        assert {g.tobytes() for g in draws} == {g.tobytes() for g in dags}
    assert max(sizes) >= 8  # some class is not trivial


def test_sample_dags_is_reproducible():
    cpdag = complete(5)
    a = mec.sample_dags(cpdag, 50, np.random.default_rng(3))
    b = mec.sample_dags(cpdag, 50, np.random.default_rng(3))
    assert np.array_equal(a, b)
    assert mec.sample_dags(cpdag, 0, np.random.default_rng(3)).shape == (0, 5, 5)


def test_extension_of_every_four_node_cpdag():
    cpdags = {mec.cpdag_of(g).tobytes() for g in mec.all_dags(4)}
    assert len(cpdags) == 185  # Markov equivalence classes on 4 labelled nodes (OEIS A007984)
    for b in cpdags:
        p = np.frombuffer(b, bool).reshape(4, 4)
        dag = mec.extension(p)
        assert_consistent_extension(dag, p)
        assert np.array_equal(mec.cpdag_of(dag), p)


def test_extension_of_a_non_cpdag_and_none():
    triangle = pdag(3, directed=[(0, 1)], undirected=[(0, 2), (1, 2)])
    assert_consistent_extension(mec.extension(triangle), triangle)
    assert mec.extension(pdag(3, directed=[(0, 1), (1, 2), (2, 0)])) is None
    assert mec.extension(pdag(4, undirected=[(0, 1), (1, 2), (2, 3), (3, 0)])) is None
    # a -> b - c with a, c non-adjacent: b -> c is forced, b <- c would add the v-structure a -> b <- c
    forced = mec.extension(pdag(3, directed=[(0, 1)], undirected=[(1, 2)]))
    assert np.array_equal(forced, pdag(3, directed=[(0, 1), (1, 2)]))


def test_dags_of_class_modes():
    rng = np.random.default_rng(0)
    chain = pdag(3, undirected=[(0, 1), (1, 2)])
    dags, size, how = mec.dags_of_class(chain, 10, rng)
    assert (how, size, dags.shape, dags.dtype) == ("enumerated", 3, (3, 3, 3), bool)

    dags, size, how = mec.dags_of_class(complete(5), 50, rng)
    assert (how, size, dags.shape, dags.dtype) == ("sampled", 120, (50, 5, 5), bool)
    assert all(acyclic(g) and np.array_equal(g | g.T, complete(5)) for g in dags)

    # not Meek-closed, but its closure is a DAG: one member, enumerated
    dags, size, how = mec.dags_of_class(pdag(3, directed=[(0, 1)], undirected=[(1, 2)]), 10, rng)
    assert (how, size) == ("enumerated", 1)
    assert np.array_equal(dags[0], pdag(3, directed=[(0, 1), (1, 2)]))

    triangle = pdag(3, directed=[(0, 1)], undirected=[(0, 2), (1, 2)])
    dags, size, how = mec.dags_of_class(triangle, 10, rng)
    assert (how, size, dags.shape, dags.dtype) == ("extended", 0, (1, 3, 3), bool)
    assert_consistent_extension(dags[0], triangle)

    cyclic = pdag(3, directed=[(0, 1), (1, 2), (2, 0)])
    dags, size, how = mec.dags_of_class(cyclic, 10, rng)
    assert (how, size, dags.dtype) == ("fallback", 0, bool)
    assert np.array_equal(dags[0], pdag(3, directed=[(0, 1), (1, 2), (0, 2)]))
    dags, _, how = mec.dags_of_class(pdag(4, undirected=[(0, 1), (1, 2), (2, 3), (3, 0)]), 10, rng)
    assert how == "fallback" and np.array_equal(dags[0], pdag(4, directed=[(0, 1), (1, 2), (2, 3), (0, 3)]))
