"""Network distances on hand-made graphs with known shortest paths, and against brute force.

The line graph used below has nodes 0-1-2-3 at x = 0, 100, 200, 300 m (y = 0) from ORIGIN.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from assetmap.coverage import distance
from assetmap.network import nearest_by_group, node_distances, pairs_within, reach_by_group, snap
from assetmap.network import paths as paths_module
from tests.network.zoo import at, hand_graph

LINE = hand_graph([(0, 0), (100, 0), (200, 0), (300, 0)], [(0, 1), (1, 2), (2, 3)])


def test_snap_finds_the_nearest_node_and_the_metres_to_it():
    node, metres = snap(LINE, at((100, 30), (290, -40), (0, 0)))
    assert node.tolist() == [1, 3, 0]
    assert metres.tolist() == pytest.approx([30.0, np.hypot(10, 40), 0.0])
    node, metres = snap(LINE, np.empty((0, 2)))
    assert (node.shape, metres.shape) == ((0,), (0,))


def test_distance_is_snap_leg_plus_path_plus_snap_leg():
    # Demand 30 m off node 1. The cafe sits on node 3; the library is 40 m off node 0.
    demand = at((100, 30))
    supply = at((300, 0), (0, 40))
    nearest = nearest_by_group(demand, supply, np.array(["cafe", "library"]), ["cafe", "library"], graph=LINE)
    assert nearest[0].tolist() == pytest.approx([30 + 200 + 0, 30 + 100 + 40])


def test_each_node_takes_the_source_that_is_nearest_counting_its_snap_leg():
    # Source A on node 3 (no snap leg); source B 150 m off node 1. Near node 1, B wins despite its leg.
    sources = at((300, 0), (100, 150))
    assert node_distances(LINE, sources).tolist() == pytest.approx([250.0, 150.0, 100.0, 0.0])


def test_sources_on_one_node_count_their_shortest_snap_leg():
    assert node_distances(LINE, at((0, 90), (0, 20), (0, 50))).tolist() == pytest.approx([20, 120, 220, 320])


def test_a_path_may_be_longer_than_its_straight_line():
    # A curving path: 0 -> 1 is 250 m along the way although the nodes are 100 m apart.
    curved = hand_graph([(0, 0), (100, 0)], [(0, 1)], lengths=[250.0])
    assert node_distances(curved, at((0, 0))).tolist() == [0.0, 250.0]


def test_parts_that_do_not_connect_are_an_infinite_distance_apart():
    two_parts = hand_graph([(0, 0), (100, 0), (1000, 0), (1100, 0)], [(0, 1), (2, 3)])
    demand = at((0, 0), (1100, 0))
    nearest, pairs = reach_by_group(
        demand, at((1000, 0)), np.array(["cafe"]), ["cafe"], 10_000.0, graph=two_parts
    )
    assert nearest[:, 0].tolist() == [np.inf, 100.0]
    assert (pairs.demand.tolist(), pairs.supply.tolist(), pairs.metres.tolist()) == ([1], [0], [100.0])


def test_pairs_within_are_inclusive_and_by_demand_then_supply():
    demand = at((300, 0), (0, 0))
    supply = at((100, 0), (200, 0), (0, 0), (300, 0))
    pairs = pairs_within(demand, supply, 200.0, graph=LINE)
    assert list(zip(pairs.demand.tolist(), pairs.supply.tolist(), pairs.metres.tolist(), strict=True)) == [
        (0, 0, 200.0),
        (0, 1, 100.0),
        (0, 3, 0.0),
        (1, 0, 100.0),
        (1, 1, 200.0),
        (1, 2, 0.0),
    ]


def test_a_snap_leg_longer_than_the_radius_reaches_nothing():
    pairs = pairs_within(at((0, 500)), at((0, 0)), 200.0, graph=LINE)
    assert len(pairs.demand) == 0


def test_groups_without_points_and_empty_inputs():
    nearest, pairs = reach_by_group(
        at((0, 0)), at((100, 0)), np.array(["cafe"]), ["cafe", "library"], 500.0, graph=LINE
    )
    assert nearest.tolist() == [[100.0, np.inf]]
    nearest, pairs = reach_by_group(
        np.empty((0, 2)), at((0, 0)), np.array(["cafe"]), ["cafe"], 500.0, graph=LINE
    )
    assert nearest.shape == (0, 1) and len(pairs.demand) == 0
    nearest, pairs = reach_by_group(at((0, 0)), np.empty((0, 2)), np.array([]), ["cafe"], 500.0, graph=LINE)
    assert nearest.tolist() == [[np.inf]] and len(pairs.demand) == 0
    assert node_distances(LINE, np.empty((0, 2))).tolist() == [np.inf] * 4


def test_supply_outside_the_groups_is_not_paired():
    nearest, pairs = reach_by_group(
        at((0, 0)), at((0, 0), (100, 0)), np.array(["bus_stop", "cafe"]), ["cafe"], 500.0, graph=LINE
    )
    assert nearest.tolist() == [[100.0]]
    assert pairs.supply.tolist() == [1]  # an index into all the supply points given


def random_case(seed: int):
    """A random connected-ish street grid with jittered nodes, some links missing, and scattered points."""
    rng = np.random.default_rng(seed)
    side = 12
    grid = np.stack(np.meshgrid(np.arange(side), np.arange(side)), axis=-1).reshape(-1, 2) * 80.0
    xy = grid + rng.normal(0, 15, grid.shape)
    idx = np.arange(side * side).reshape(side, side)
    edges = np.concatenate(
        [
            np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()]),
            np.column_stack([idx[:-1].ravel(), idx[1:].ravel()]),
        ]
    )
    edges = edges[rng.random(len(edges)) > 0.25]
    graph = hand_graph(xy, edges)
    demand = at(*rng.uniform(-50, side * 80, (30, 2)))
    supply = at(*rng.uniform(-50, side * 80, (40, 2)))
    groups = rng.choice(np.array(["cafe", "library", "park"], dtype=object), len(supply))
    return graph, demand, supply, groups


def brute_force(graph, demand, supply):
    """Every demand-supply network distance, from one full Dijkstra per node and a fresh KD-tree."""
    tree = cKDTree(graph.xy)
    d_off, d_node = tree.query(demand)
    s_off, s_node = tree.query(supply)
    every = dijkstra(graph.lengths.toarray(), directed=False)
    return d_off[:, None] + every[np.ix_(d_node, s_node)] + s_off[None, :]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_reach_by_group_matches_brute_force(seed, monkeypatch):
    graph, demand, supply, groups = random_case(seed)
    metres = brute_force(graph, demand, supply)
    cats = ["cafe", "library", "park"]
    monkeypatch.setattr(paths_module, "CHUNK_CELLS", 3 * graph.n_nodes)  # three demand points a search
    nearest, pairs = reach_by_group(demand, supply, groups, cats, 400.0, graph=graph)
    for k, c in enumerate(cats):
        expected = metres[:, groups == c].min(axis=1)
        np.testing.assert_allclose(nearest[:, k], expected, rtol=1e-12)
    i, j = np.nonzero(metres <= 400.0)
    assert pairs.demand.tolist() == i.tolist() and pairs.supply.tolist() == j.tolist()
    np.testing.assert_allclose(pairs.metres, metres[i, j], rtol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_network_is_never_shorter_than_the_straight_line(seed):
    graph, demand, supply, groups = random_case(seed)
    cats = ["cafe", "library", "park"]
    network, pairs = reach_by_group(demand, supply, groups, cats, 400.0, graph=graph)
    straight, _ = distance.reach_by_group(demand, supply, groups, cats, 400.0)
    finite = np.isfinite(network)
    assert (network[finite] >= straight[finite] - 1e-9).all()
    crow = np.hypot(*(demand[pairs.demand] - supply[pairs.supply]).T)
    assert (pairs.metres >= crow - 1e-9).all()
