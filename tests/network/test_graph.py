"""Building a walk graph from nodes and edges: lengths, symmetry, repeated edges, connected parts."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod
from scipy.sparse.csgraph import dijkstra

from assetmap.errors import InvalidInput
from assetmap.network import build_walk_graph
from tests.network.zoo import at, to_lonlat


def build(xy, edges, ids=None, **kwargs):
    """``build_walk_graph`` on nodes given in metres from ORIGIN and edges given as node ids."""
    lon, lat = to_lonlat(at(*xy))
    ids = np.arange(1, len(xy) + 1) if ids is None else np.asarray(ids)
    u, v = np.asarray(edges).reshape(-1, 2).T
    return build_walk_graph(ids, lon, lat, u, v, **kwargs)


def test_lengths_are_straight_segments_in_metres_both_ways():
    graph = build([(0, 0), (300, 400), (300, 0)], [(1, 2), (2, 3)], source="zoo.osm.pbf")
    assert graph.crs == "EPSG:27700"
    assert (graph.n_nodes, graph.n_edges, graph.source) == (3, 2, "zoo.osm.pbf")
    np.testing.assert_allclose(graph.xy, at((0, 0), (300, 400), (300, 0)), atol=1e-6)
    dense = graph.lengths.toarray()
    np.testing.assert_allclose(dense, dense.T)
    assert dense[0, 1] == pytest.approx(500.0, abs=1e-6)
    assert dense[1, 2] == pytest.approx(400.0, abs=1e-6)
    assert dense[0, 2] == 0.0 and graph.lengths[0, 2] == 0  # no segment: no entry


def test_nodes_come_in_id_order_whatever_the_input_order():
    graph = build([(0, 0), (100, 0), (200, 0)], [(30, 10), (10, 20)], ids=[30, 10, 20])
    assert graph.node_id.tolist() == [10, 20, 30]
    np.testing.assert_allclose(graph.xy, at((100, 0), (200, 0), (0, 0)), atol=1e-6)
    assert graph.lengths[0, 2] == pytest.approx(100.0, abs=1e-6)


def test_repeated_edges_count_once_and_self_loops_are_dropped():
    graph = build([(0, 0), (100, 0)], [(1, 2), (2, 1), (1, 2), (1, 1)])
    assert graph.n_edges == 1
    assert graph.lengths.nnz == 2


def test_only_the_largest_connected_part_is_kept():
    # Nodes 1-2-3 connect; 4-5 connect apart from them; 6 has no edge at all.
    xy = [(0, 0), (100, 0), (200, 0), (5000, 0), (5100, 0), (9000, 0)]
    graph = build(xy, [(1, 2), (2, 3), (4, 5), (6, 6)])
    assert graph.node_id.tolist() == [1, 2, 3]
    assert (graph.parts_dropped, graph.nodes_dropped) == (2, 3)
    assert np.isfinite(dijkstra(graph.lengths, indices=0)).all()


def test_two_nodes_at_one_place_stay_joined():
    # Distinct OSM nodes can share coordinates; their segment has length zero and still connects.
    graph = build([(0, 0), (0, 0), (100, 0)], [(1, 2), (2, 3)])
    assert graph.n_nodes == 3 and graph.parts_dropped == 0
    assert dijkstra(graph.lengths, indices=0).tolist() == pytest.approx([0.0, 0.0, 100.0], abs=1e-6)


def test_outside_gb_the_graph_is_measured_in_utm():
    graph = build_walk_graph(
        np.array([1, 2]), np.array([24.94, 24.95]), np.array([60.17, 60.17]), np.array([1]), np.array([2])
    )
    assert graph.crs == "EPSG:32635"
    _, _, geodesic = Geod(ellps="WGS84").inv(24.94, 60.17, 24.95, 60.17)
    assert graph.lengths[0, 1] == pytest.approx(geodesic, rel=5e-4)  # UTM's scale error in the zone


@pytest.mark.parametrize(
    ("edges", "ids", "message"),
    [
        ([(1, 9)], None, "an edge names node 9, which is not among the nodes"),
        ([(1, 1)], None, "no edges between two different nodes"),
        (np.empty((0, 2), int), None, "no edges between two different nodes"),
        ([(1, 2)], [1, 1], "node ids must be unique"),
    ],
)
def test_bad_graphs_are_refused(edges, ids, message):
    with pytest.raises(InvalidInput, match=message):
        build([(0, 0), (100, 0)], edges, ids=ids)
