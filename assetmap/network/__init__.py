"""Walking network: distances along streets and paths instead of straight lines.

``graph`` holds the :class:`WalkGraph` (nodes in metres, a sparse matrix of segment lengths) and
builds it from nodes and edges; ``osm`` reads one from an OpenStreetMap ``.osm.pbf`` extract;
``files`` saves and loads it (``WALK_NETWORK``, an ``.npz`` replaced atomically); ``paths``
measures nearest assets and assets within a walk along it, in the shapes the coverage engine
takes from :mod:`assetmap.coverage.distance`. See ``docs/network.md``.
"""

from __future__ import annotations

from assetmap.network.files import (
    NetworkSummary,
    import_network,
    load_walk_graph,
    save_walk_graph,
    stored_walk_graph,
    walk_network_version,
)
from assetmap.network.graph import WalkGraph, build_walk_graph
from assetmap.network.osm import read_walk_graph
from assetmap.network.paths import nearest_by_group, node_distances, pairs_within, reach_by_group, snap

__all__ = [
    "NetworkSummary",
    "WalkGraph",
    "build_walk_graph",
    "import_network",
    "load_walk_graph",
    "nearest_by_group",
    "node_distances",
    "pairs_within",
    "reach_by_group",
    "read_walk_graph",
    "save_walk_graph",
    "snap",
    "stored_walk_graph",
    "walk_network_version",
]
