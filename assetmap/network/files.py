"""Keep the walk network in a compressed ``.npz`` file (``WALK_NETWORK``), replaced atomically.

:func:`import_network` reads an extract and saves its graph; nothing is written unless the whole
extract was read. :func:`save_walk_graph` writes a temporary file beside the target and moves it
into place with ``os.replace``, so a reader sees the old network or the new one, never half of
one, and a failed save leaves the old file as it was. :func:`stored_walk_graph` is what the
coverage callers use: the saved network if there is one, else None (straight-line distances).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix

from assetmap.errors import AssetmapError, ConfigError
from assetmap.network.graph import WalkGraph
from assetmap.network.osm import read_walk_graph

FORMAT = 1  # the layout of the .npz; a file of another layout is refused


@dataclass(frozen=True)
class NetworkSummary:
    """What one network import read and where it saved it."""

    source: str
    saved: str
    nodes: int
    edges: int
    parts_dropped: int
    nodes_dropped: int

    def line(self) -> str:
        """One line for the terminal, e.g. ``x.osm.pbf: 977 nodes, 1024 edges, ...``."""
        kept = (
            "one connected part"
            if not self.parts_dropped
            else f"largest connected part kept, {self.parts_dropped} smaller with "
            f"{self.nodes_dropped} nodes dropped"
        )
        return f"{self.source}: {self.nodes} nodes, {self.edges} edges ({kept}); saved to {self.saved}"


def import_network(path: Path, target: Path) -> NetworkSummary:
    """Read the walk graph of the extract at ``path`` and save it to ``target``, replacing any there.

    Raises
    ------
    DataFileError
        Naming the extract when it cannot be used (see
        :func:`~assetmap.network.osm.read_walk_graph`); ``target`` is then left as it was.
    ConfigError
        Naming ``target`` when it cannot be written; it is then left as it was.
    """
    graph = read_walk_graph(Path(path))
    try:
        save_walk_graph(graph, Path(target))
    except OSError as exc:
        raise ConfigError(f"{target}: cannot save the walk network there ({exc.strerror or exc})") from None
    return NetworkSummary(
        source=graph.source,
        saved=str(target),
        nodes=graph.n_nodes,
        edges=graph.n_edges,
        parts_dropped=graph.parts_dropped,
        nodes_dropped=graph.nodes_dropped,
    )


def save_walk_graph(graph: WalkGraph, path: Path) -> None:
    """Write ``graph`` to ``path`` (``.npz``) atomically: a temporary file, then ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez_compressed(
                out,
                format=np.array(FORMAT),
                node_id=graph.node_id,
                xy=graph.xy,
                indptr=graph.lengths.indptr,
                indices=graph.lengths.indices,
                data=graph.lengths.data,
                crs=np.array(graph.crs),
                source=np.array(graph.source),
                dropped=np.array([graph.parts_dropped, graph.nodes_dropped]),
            )
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_walk_graph(path: Path) -> WalkGraph:
    """The graph saved at ``path`` by :func:`save_walk_graph`.

    Raises
    ------
    ConfigError
        Naming the file, when it is missing or is not a walk network saved by this version.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as saved:
            if saved["format"].item() != FORMAT:
                raise ConfigError(f"{path}: walk network saved in format {saved['format'].item()}")
            n = len(saved["node_id"])
            lengths = csr_matrix((saved["data"], saved["indices"], saved["indptr"]), shape=(n, n))
            parts_dropped, nodes_dropped = (int(v) for v in saved["dropped"])
            graph = WalkGraph(
                node_id=saved["node_id"],
                xy=saved["xy"],
                lengths=lengths,
                crs=str(saved["crs"]),
                source=str(saved["source"]),
                parts_dropped=parts_dropped,
                nodes_dropped=nodes_dropped,
            )
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile, AssetmapError):
        raise ConfigError(
            f"{path}: not a walk network saved by assetmap; "
            "run `python -m assetmap import-network EXTRACT.osm.pbf` to make one"
        ) from None
    for array in (graph.node_id, graph.xy, graph.lengths.data):
        array.flags.writeable = False  # one loaded graph may serve many requests
    return graph


def walk_network_version(path: str | Path | None) -> tuple[int, int] | None:
    """The saved network's version (modification time in ns, size), or None when there is none."""
    if not path:
        return None
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def stored_walk_graph(path: str | Path | None) -> WalkGraph | None:
    """The walk network saved at ``path``, or None when ``path`` is empty or no file is there.

    A graph is loaded once per version of the file (its modification time and size), so callers
    may ask on every request.
    """
    if not path or not Path(path).is_file():
        return None
    where = Path(path).resolve()
    stat = where.stat()
    return _loaded(where, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _loaded(path: Path, mtime_ns: int, size: int) -> WalkGraph:
    """:func:`load_walk_graph`, kept for the file's version (``mtime_ns``, ``size``)."""
    return load_walk_graph(path)
