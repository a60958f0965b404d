"""Read the walk network of an OpenStreetMap ``.osm.pbf`` extract.

pyrosm's ``walking`` network holds the ways a pedestrian may use (footways, paths, steps,
pedestrian streets, and roads that do not forbid walking), each split at every node into straight
segments; :func:`read_walk_graph` keeps their largest connected part (see
:func:`~assetmap.network.graph.build_walk_graph`). A file that is not an extract, is empty,
corrupt or truncated, or holds no walkable way is refused with a message naming it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pyrosm
from google.protobuf.message import DecodeError
from pyrosm.exceptions import PBFException

from assetmap.errors import DataFileError, InvalidInput
from assetmap.importers.osm import _check_file as check_extract
from assetmap.network.graph import WalkGraph, build_walk_graph


def read_walk_graph(path: Path) -> WalkGraph:
    """The walk graph of an ``.osm.pbf`` extract, measured in its measuring CRS.

    Raises
    ------
    DataFileError
        Naming the file, when it is not named ``*.osm.pbf``, is empty, corrupt or truncated, or
        holds no walkable way.
    """
    path = Path(path)
    check_extract(path)
    try:
        with warnings.catch_warnings():  # pyrosm warns, then returns None, when nothing is walkable
            warnings.simplefilter("ignore", UserWarning)
            osm = pyrosm.OSM(str(path), keep_metadata=False, progress=False)
            nodes, edges = osm.get_network(network_type="walking", nodes=True)
    except (PBFException, DecodeError):
        raise DataFileError(
            str(path), "corrupt or truncated .osm.pbf: its data blocks cannot be decoded"
        ) from None
    if nodes is None or edges is None or edges.empty:
        raise DataFileError(
            str(path),
            "no walkable ways (footways, paths or streets open to pedestrians); is it the right area?",
        )
    try:
        return build_walk_graph(
            nodes["id"].to_numpy(),
            nodes["lon"].to_numpy(),
            nodes["lat"].to_numpy(),
            edges["u"].to_numpy(),
            edges["v"].to_numpy(),
            source=path.name,
        )
    except InvalidInput as exc:
        raise DataFileError(str(path), exc.message) from None
