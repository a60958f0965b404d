"""Walking distances along a :class:`~assetmap.network.graph.WalkGraph`, shaped like the straight-line ones.

A point off the graph joins it at its nearest node, in a straight line (:func:`snap`). The
network distance between two points is therefore the snap leg at one end, the shortest path
between their nodes, and the snap leg at the other end. Each of the three is at least the straight
line it replaces, so the network distance is never shorter than the straight line between the
points. Points of two parts of a graph that do not connect are an infinite distance apart.

:func:`nearest_by_group`, :func:`pairs_within` and :func:`reach_by_group` take the arguments of
their namesakes in :mod:`assetmap.coverage.distance`, and the graph as ``graph=``, and answer the
same with network metres in place of straight-line metres, so the coverage engine can use either.
Shortest paths are Dijkstra's, by ``scipy.sparse.csgraph``: one run from every supply point of a
group at once for the nearest, and runs from the demand points bounded by the radius for the pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from assetmap.coverage.distance import Pairs, group_positions
from assetmap.network.graph import WalkGraph

CHUNK_CELLS = 1 << 22  # distances held at once by the bounded searches: 32 MB of float64


def snap(graph: WalkGraph, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nearest node of each point (an index into the graph's nodes) and the metres to it.

    ``xy`` is an ``(n, 2)`` array of metres in the graph's CRS.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        return np.empty(0, dtype=np.intp), np.empty(0)
    metres, node = graph.tree.query(xy, k=1)
    return node.astype(np.intp, copy=False), metres


def node_distances(graph: WalkGraph, source_xy: np.ndarray) -> np.ndarray:
    """Network metres from every node of the graph to the nearest of the source points.

    Each source's snap leg counts: a node's distance is the least, over the sources, of the
    source's snap leg plus the shortest path from the source's node. ``inf`` where no source
    reaches (or there is none).
    """
    return _from_nodes(graph, *snap(graph, source_xy))


def _from_nodes(graph: WalkGraph, node: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Least ``offset[k] + path(node[k], x)`` over ``k``, for every node ``x``: one Dijkstra run.

    A virtual source is added as an extra node, with a one-way edge to each source node as long as
    that node's least offset; the shortest paths from it are the answer.
    """
    n = graph.n_nodes
    if len(node) == 0:
        return np.full(n, np.inf)
    order = np.lexsort((offset, node))
    start, first = np.unique(node[order], return_index=True)  # each node once, its least offset
    lengths = graph.lengths
    augmented = csr_matrix(
        (
            np.concatenate([lengths.data, offset[order][first]]),
            np.concatenate([lengths.indices, start]),
            np.append(lengths.indptr, lengths.indptr[-1] + len(start)),
        ),
        shape=(n + 1, n + 1),
    )
    return dijkstra(augmented, directed=True, indices=n)[:n]


def nearest_by_group(
    demand_xy: np.ndarray,
    supply_xy: np.ndarray,
    supply_group: np.ndarray,
    groups: Sequence[str],
    *,
    graph: WalkGraph,
) -> np.ndarray:
    """Network metres from each demand point to the nearest supply point of each group.

    Returns an ``(n_demand, len(groups))`` array, ``inf`` where a group has no points (or none
    that connects). One Dijkstra run per group, from all of its points at once.
    """
    return _nearest(graph, snap(graph, demand_xy), snap(graph, supply_xy), supply_group, groups)


def _nearest(
    graph: WalkGraph,
    demand: tuple[np.ndarray, np.ndarray],
    supply: tuple[np.ndarray, np.ndarray],
    supply_group: np.ndarray,
    groups: Sequence[str],
) -> np.ndarray:
    (d_node, d_off), (s_node, s_off) = demand, supply
    out = np.full((len(d_node), len(groups)), np.inf)
    position = group_positions(supply_group, groups)
    last = {g: k for k, g in enumerate(groups)}
    if len(d_node):
        for k in last.values():
            members = position == k
            if members.any():
                out[:, k] = d_off + _from_nodes(graph, s_node[members], s_off[members])[d_node]
    return out[:, [last[g] for g in groups]]  # a repeated group repeats its column


def pairs_within(demand_xy: np.ndarray, supply_xy: np.ndarray, radius_m: float, *, graph: WalkGraph) -> Pairs:
    """All demand-supply pairs no more than ``radius_m`` network metres apart, by demand then supply.

    Dijkstra runs from the demand points' nodes (each node once, in chunks), stopping at the
    radius less the snap leg.
    """
    return _pairs(graph, snap(graph, demand_xy), snap(graph, supply_xy), radius_m)


def _pairs(
    graph: WalkGraph,
    demand: tuple[np.ndarray, np.ndarray],
    supply: tuple[np.ndarray, np.ndarray],
    radius_m: float,
) -> Pairs:
    (d_node, d_off), (s_node, s_off) = demand, supply
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if len(s_node):
        step = max(1, CHUNK_CELLS // max(graph.n_nodes, len(s_node)))
        for lo in range(0, len(d_node), step):
            offset = d_off[lo : lo + step]
            limit = radius_m - offset.min()
            if limit < 0:
                continue
            start, row = np.unique(d_node[lo : lo + step], return_inverse=True)
            paths = dijkstra(graph.lengths, directed=True, indices=start, limit=limit)[:, s_node]
            metres = offset[:, None] + paths[row] + s_off[None, :]
            i, j = np.nonzero(metres <= radius_m)  # row-major: by demand, then supply
            found.append((i + lo, j, metres[i, j]))
    if not found:
        empty = np.empty(0, dtype=np.intp)
        return Pairs(empty, empty.copy(), np.empty(0))
    demand_idx, supply_idx, metres = (np.concatenate([f[i] for f in found]) for i in range(3))
    return Pairs(demand_idx.astype(np.intp), supply_idx.astype(np.intp), metres)


def reach_by_group(
    demand_xy: np.ndarray,
    supply_xy: np.ndarray,
    supply_group: np.ndarray,
    groups: Sequence[str],
    radius_m: float,
    *,
    graph: WalkGraph,
) -> tuple[np.ndarray, Pairs]:
    """:func:`nearest_by_group`, and :func:`pairs_within` over the supply points in ``groups``.

    The network counterpart of :func:`assetmap.coverage.distance.reach_by_group`: the same
    shapes, network metres in place of straight-line metres, pairs by demand then supply.

    >>> from assetmap.network.graph import build_walk_graph
    >>> g = build_walk_graph(np.array([1, 2]), np.array([-1.13, -1.12]), np.array([52.63, 52.63]),
    ...                      np.array([1]), np.array([2]))
    >>> nearest, pairs = reach_by_group(
    ...     g.xy[:1], g.xy + [0.0, 30.0], np.array(["a", "b"]), ["a", "b"], 100.0, graph=g
    ... )
    >>> np.round(nearest).tolist(), pairs.supply.tolist()
    ([[30.0, 707.0]], [0])
    """
    demand, supply = snap(graph, demand_xy), snap(graph, supply_xy)
    in_groups = np.flatnonzero(group_positions(supply_group, groups) >= 0)
    nearest = _nearest(graph, demand, supply, supply_group, groups)
    pairs = _pairs(graph, demand, (supply[0][in_groups], supply[1][in_groups]), radius_m)
    return nearest, Pairs(pairs.demand, in_groups[pairs.supply], pairs.metres)
