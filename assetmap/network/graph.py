"""The walk graph: street and path nodes in metres, and the lengths of the segments between them.

:func:`build_walk_graph` turns node ids, node lon/lat and edges (pairs of node ids) into a
:class:`WalkGraph`: nodes projected to the measuring CRS (British National Grid in GB, else the
local UTM zone, as :func:`assetmap.geo.measuring_crs` chooses), and a symmetric sparse matrix of
edge lengths in metres, each the straight line between its two nodes (an OpenStreetMap way is a
chain of straight segments, and the reader keeps every node of it). Only the largest connected
part is kept, so every node can reach every other. Pure: arrays in, a graph out, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from assetmap import geo
from assetmap.errors import InvalidInput


@dataclass(frozen=True, eq=False)
class WalkGraph:
    """A walk network: nodes in metres and a symmetric CSR matrix of edge lengths in metres.

    Attributes
    ----------
    node_id
        ``(n,)`` OpenStreetMap node ids, ascending.
    xy
        ``(n, 2)`` node coordinates in metres, in ``crs``.
    lengths
        ``(n, n)`` symmetric CSR matrix: entry ``(i, j)`` is the length of the segment between
        nodes ``i`` and ``j`` (an explicit zero for two nodes at the same place); no entry, no
        segment.
    crs
        The projected CRS of ``xy`` and the lengths, e.g. ``EPSG:27700``.
    source
        Where the graph came from (a file name), for the record.
    parts_dropped
        Connected parts of the source left out, as not the largest.
    nodes_dropped
        Nodes in those parts.
    """

    node_id: np.ndarray
    xy: np.ndarray
    lengths: csr_matrix
    crs: str
    source: str = ""
    parts_dropped: int = 0
    nodes_dropped: int = 0

    def __post_init__(self) -> None:
        n = len(self.node_id)
        if self.xy.shape != (n, 2) or self.lengths.shape != (n, n):
            raise InvalidInput(
                f"walk graph: {n} node ids, {self.xy.shape} coordinates, {self.lengths.shape} lengths"
            )

    @property
    def n_nodes(self) -> int:
        return len(self.node_id)

    @property
    def n_edges(self) -> int:
        """Segments between two nodes (each stored twice in the symmetric matrix)."""
        return int(self.lengths.nnz) // 2

    @cached_property
    def tree(self) -> cKDTree:
        """KD-tree over the node coordinates, for snapping points to their nearest node."""
        return cKDTree(self.xy)


def build_walk_graph(
    node_id: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    *,
    crs: CRS | str | None = None,
    source: str = "",
) -> WalkGraph:
    """The largest connected part of a walk network, measured in metres.

    Parameters
    ----------
    node_id, lon, lat
        Each node's id and WGS84 position.
    edge_u, edge_v
        Node ids at the two ends of each edge. Edges are walked both ways; an edge from a node to
        itself is dropped, and of repeated edges between two nodes the shortest counts.
    crs
        Projected CRS to measure in; default :func:`assetmap.geo.measuring_crs` of the nodes.
    source
        Kept on the graph as its :attr:`WalkGraph.source`.

    Raises
    ------
    InvalidInput
        When there is no edge, or an edge names a node that is not among the nodes.

    >>> g = build_walk_graph(np.array([3, 1, 2]), np.array([-1.13, -1.12, -1.11]),
    ...                      np.array([52.63, 52.63, 52.63]), np.array([1, 3]), np.array([3, 3]))
    >>> g.node_id.tolist(), g.n_edges, g.crs, g.parts_dropped, round(float(g.lengths[0, 1]))
    ([1, 3], 1, 'EPSG:27700', 1, 677)
    """
    node_id = np.asarray(node_id, dtype=np.int64)
    order = np.argsort(node_id, kind="stable")
    node_id, lon, lat = node_id[order], np.asarray(lon, float)[order], np.asarray(lat, float)[order]
    if len(np.unique(node_id)) < len(node_id):
        raise InvalidInput("walk graph: node ids must be unique")
    index = pd.Index(node_id)
    u, v = index.get_indexer(np.asarray(edge_u)), index.get_indexer(np.asarray(edge_v))
    if (u < 0).any() or (v < 0).any():
        missing = np.asarray(edge_u)[u < 0] if (u < 0).any() else np.asarray(edge_v)[v < 0]
        raise InvalidInput(f"walk graph: an edge names node {missing[0]}, which is not among the nodes")
    u, v = u[u != v], v[u != v]
    if len(u) == 0:
        raise InvalidInput("walk graph: no edges between two different nodes")
    if crs is None:
        crs = geo.measuring_crs(gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=geo.WGS84))
    crs = CRS.from_user_input(crs)
    x, y = Transformer.from_crs(geo.WGS84, crs, always_xy=True).transform(lon, lat)
    xy = np.column_stack([x, y])
    if not np.isfinite(xy).all():
        bad = np.flatnonzero(~np.isfinite(xy).all(axis=1))[0]
        raise InvalidInput(
            f"walk graph: node {node_id[bad]} ({lon[bad]}, {lat[bad]}) cannot be measured in {crs}"
        )
    metres = np.hypot(*(xy[u] - xy[v]).T)
    parts, label = connected_components(_symmetric(len(node_id), u, v, metres), directed=False)
    keep = label == np.argmax(np.bincount(label))  # the largest part; of equal ones, the first
    renumber = np.cumsum(keep) - 1
    inside = keep[u]  # both ends of an edge are in the same part
    return WalkGraph(
        node_id=node_id[keep],
        xy=xy[keep],
        lengths=_symmetric(int(keep.sum()), renumber[u[inside]], renumber[v[inside]], metres[inside]),
        crs=crs.to_string(),
        source=source,
        parts_dropped=parts - 1,
        nodes_dropped=int((~keep).sum()),
    )


def _symmetric(n: int, u: np.ndarray, v: np.ndarray, metres: np.ndarray) -> csr_matrix:
    """An ``(n, n)`` CSR matrix with each edge both ways, the shortest of repeated edges, zeros kept."""
    rows, cols, data = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([metres, metres])
    order = np.lexsort((data, cols, rows))  # by row, column, then length: the shortest first
    key = rows[order] * n + cols[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    order = order[first]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[order], minlength=n))])
    # Built from its arrays, the matrix keeps explicit zeros, which scipy.sparse.csgraph takes as edges.
    return csr_matrix((data[order], cols[order], indptr), shape=(n, n))
