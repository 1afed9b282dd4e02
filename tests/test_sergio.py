"""SERGIO with knockouts: exact zeros, where effects go, the deterministic limit, determinism."""

import numpy as np
import pytest

from activa.data import scm, sergio

SPEC = {"dt": 0.01, "sampling_state": 15, "safety_steps": 10}


def params(adjacency, k, basal, S, hill=2.0, decay=0.8, noise=1.0):
    """S copies of one network: adjacency/k [g, g], basal [g]."""
    adjacency = np.asarray(adjacency, np.uint8)
    return sergio.SergioParams(np.repeat(adjacency[None], S, 0), np.repeat(np.asarray(k, float)[None], S, 0),
                               np.repeat(np.asarray(basal, float)[None, :, None], S, 0), np.full(S, hill),
                               np.full(S, decay), np.full(S, noise))


def run(p, cells=30, half_response=None, seed=0):
    _, knockout = sergio.knockout_regimes(p.adjacency.shape[1])
    return sergio.simulate_conditions(np.random.default_rng(seed), p, knockout, cells, SPEC, half_response)


def test_levels_are_longest_paths_to_a_sink():
    chain = np.zeros((1, 4, 4), np.uint8)
    chain[0, 0, 1] = chain[0, 1, 2] = chain[0, 0, 3] = 1  # 0 -> 1 -> 2, 0 -> 3
    assert sergio.levels(chain)[0].tolist() == [2, 1, 0, 0]


def test_knockouts_are_exact_zeros_and_reach_activated_children_only():
    # 0 activates 1, 0 represses 2; gene 3 is an unconnected master regulator
    adjacency = [[0, 1, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    k = [[0, 3.0, -3.0, 0], [0] * 4, [0] * 4, [0] * 4]
    x, _ = run(params(adjacency, k, [0.8, 0, 0, 0.8], S=200))  # [S, R, cells, g]; regime 1 + i knocks out i
    for gene in range(4):
        assert (x[:, 1 + gene, :, gene] == 0).all()
    assert (x[:, 1, :, 1] == 0).all()  # only regulator knocked out: an activated child is exactly 0
    obs, ko = x[:, 0].mean(), x[:, 1]
    # the repressed child rises from about k (1 - 1/2) / lambda to its unrepressed level k / lambda = 3.75
    assert ko[..., 2].mean() > 1.5 * x[:, 0, :, 2].mean() and abs(ko[..., 2].mean() - 3.75) < 0.3
    # a non-descendant (gene 3) keeps its distribution: means agree within sampling error
    diff = ko[..., 3].mean(axis=1) - x[:, 0, :, 3].mean(axis=1)
    assert abs(diff.mean()) < 4 * diff.std() / np.sqrt(len(diff)) and obs > 0


def test_without_noise_the_observational_run_sits_at_the_deterministic_steady_state():
    # master 0 -> target 1 (activation). Steady state: x0 = b / lambda; the target's half-response is the
    # regulator's mean x0, so H = 1/2 and x1 = k / (2 lambda).
    p = params([[0, 1], [0, 0]], [[0, 3.0], [0, 0]], [0.8, 0.0], S=4, noise=0.0)
    x, mean = run(p)
    assert np.allclose(x[:, 0, :, 0], 0.8 / 0.8) and np.allclose(x[:, 0, :, 1], 3.0 / (2 * 0.8))
    tiny = params([[0, 1], [0, 0]], [[0, 3.0], [0, 0]], [0.8, 0.0], S=4, noise=1e-3)
    x, _ = run(tiny)
    assert np.allclose(x[:, 0].mean(axis=1), [1.0, 1.875], rtol=2e-3)


def test_half_responses_from_the_observational_run_let_knockouts_propagate():
    # masters 0 and 1 both activate 2; 2 activates 3. Knocking out 0 lowers 2; with per-condition
    # half-responses (the reference) 3 re-centres on 2's new mean, with observational ones it falls.
    adjacency = [[0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    k = [[0, 0, 2.0, 0], [0, 0, 2.0, 0], [0, 0, 0, 3.0], [0] * 4]
    p = params(adjacency, k, [1.0, 1.0, 0, 0], S=100)
    x, mean = run(p)
    obs_half = np.repeat(mean[:, :1], mean.shape[1], axis=1)
    x_obs_half, _ = run(p, half_response=obs_half)
    drop_child = 1 - x[:, 1, :, 2].mean() / x[:, 0, :, 2].mean()
    drop_grandchild = 1 - x[:, 1, :, 3].mean() / x[:, 0, :, 3].mean()
    drop_grandchild_obs = 1 - x_obs_half[:, 1, :, 3].mean() / x_obs_half[:, 0, :, 3].mean()
    assert drop_child > 0.3
    assert abs(drop_grandchild) < 0.15 < drop_grandchild_obs


def test_simulate_is_deterministic_and_independent_of_workers(tmp_path):
    net = tmp_path / "net.tsv"
    edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("e", "d"), ("e", "f"), ("f", "g"), ("a", "g")]
    net.write_text("".join(f"{u}\t{v}\t+\n" for u, v in edges))
    spec = {"n_vars": 4, "networks": ["ecoli"], "topk": 0.2, "b_range": [0.0, 1.0], "k_range": [1.0, 5.0],
            "sign_beta": [1.0, 1.0], "hill_values": [2.0], "decay_values": [0.8], "noise_values": [1.0],
            "n_cell_types": 1, "half_response": "per_condition", "samples_per_regime": 5, **SPEC,
            "sampling_state": 3}
    seed = scm.seed_sequence(0, "test")
    one = sergio.simulate(spec, 300, seed, {"ecoli": net})
    two = sergio.simulate(spec, 300, scm.seed_sequence(0, "test"), {"ecoli": net}, workers=2)
    assert one[2].shape == (300, 5, 5, 4)
    assert np.array_equal(one[2], two[2]) and np.array_equal(one[0].k, two[0].k)
    other = sergio.simulate(spec, 300, scm.seed_sequence(1, "test"), {"ecoli": net})
    assert not np.array_equal(one[2], other[2])
    with pytest.raises(ValueError, match=r"^network_paths: no file for network\(s\) \['yeast'\]$"):
        sergio.simulate({**spec, "networks": ["ecoli", "yeast"]}, 3, seed, {"ecoli": net})
