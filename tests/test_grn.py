"""Network files: parsing errors, hash checks, and subnetworks that are DAGs of the network's own edges."""

import numpy as np
import pytest

from activa.data import grn, scm
from activa.data.format import DataError


def write_network(path, n_regulators=6, n_targets=30, seed=0):
    rng = np.random.default_rng(seed)
    lines = []
    for r in range(n_regulators):
        for t in rng.choice(n_targets, size=8, replace=False):
            lines.append(f"R{r}\tG{t}\t+")
        lines.append(f"R{r}\tR{(r + 1) % n_regulators}\t-")  # a cycle among the regulators
    path.write_text("\n".join(lines) + "\n")
    return path


def test_parse_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\tc\nonly-one-field\n")
    with pytest.raises(DataError, match=r"bad.tsv: line 2: expected 'regulator<TAB>target\[<TAB>sign\]', got "
                                        r"'only-one-field'$"):
        grn.load_network(bad)
    with pytest.raises(DataError, match=r"missing.tsv: network file not found$"):
        grn.load_network(tmp_path / "missing.tsv")


def test_local_copies_are_checked_against_their_sha256(tmp_path):
    (tmp_path / "src").mkdir()
    for filename, _ in grn.NETWORK_FILES.values():
        (tmp_path / "src" / filename).write_text("x\ty\n")
    ecoli = grn.NETWORK_FILES["ecoli"][0]
    expected = grn.NETWORK_FILES["ecoli"][1]
    with pytest.raises(DataError, match=rf"src/{ecoli}: SHA-256 of the ecoli network is [0-9a-f]{{64}}, "
                                        rf"expected {expected}$"):
        grn.fetch_networks(tmp_path / "out", tmp_path / "src")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_subnetworks_are_dags_of_the_networks_edges(tmp_path):
    network = grn.load_network(write_network(tmp_path / "net.tsv"))
    extractor = grn.ModuleExtractor(network, topk=0.2)
    rng = np.random.default_rng(0)
    for _ in range(50):
        nodes = extractor.nodes(rng, 8)
        assert len(set(nodes.tolist())) == 8 and nodes[0] in extractor.regulators
        sub = network.adjacency[np.ix_(nodes, nodes)].copy()
        dag = grn.break_cycles(rng, sub.copy())
        assert scm.is_acyclic(dag[None])[0]
        assert not (dag & ~sub).any()  # only edges of the network, some removed to break cycles
    a = extractor.subnetwork(np.random.default_rng(1), 8)
    b = extractor.subnetwork(np.random.default_rng(1), 8)
    assert a.shape == (8, 8) and a.dtype == np.uint8 and np.array_equal(a, b) and scm.is_acyclic(a[None])[0]


def test_modules_grow_along_edges_of_the_skeleton(tmp_path):
    # with topk = 0 the next gene is always a best-ranked neighbour, so every chosen gene after the seed
    # touches the set chosen before it
    network = grn.load_network(write_network(tmp_path / "net.tsv", seed=3))
    extractor = grn.ModuleExtractor(network, topk=0.0)
    skeleton = network.skeleton
    nodes = extractor.nodes(np.random.default_rng(5), 10)
    for i in range(1, len(nodes)):
        assert skeleton[nodes[i], nodes[:i]].any()
