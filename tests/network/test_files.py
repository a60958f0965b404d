"""Saving and loading the walk network, atomically, and the ``import-network`` command."""

from __future__ import annotations

import os

import numpy as np
import pytest
from click.testing import CliRunner

from assetmap.cli import main
from assetmap.errors import ConfigError
from assetmap.network import files, import_network, load_walk_graph, save_walk_graph, stored_walk_graph
from tests.network.zoo import TEST_PBF, hand_graph

LINE = hand_graph([(0, 0), (100, 0), (200, 0)], [(0, 1), (1, 2)])


def same_graph(a, b) -> bool:
    return (
        np.array_equal(a.node_id, b.node_id)
        and np.array_equal(a.xy, b.xy)
        and (a.lengths != b.lengths).nnz == 0
        and (a.crs, a.source, a.parts_dropped, a.nodes_dropped)
        == (b.crs, b.source, b.parts_dropped, b.nodes_dropped)
    )


def test_saved_graph_loads_the_same(tmp_path, kouvola):
    path = tmp_path / "deeper" / "walk.npz"
    save_walk_graph(kouvola, path)
    loaded = load_walk_graph(path)
    assert same_graph(loaded, kouvola)
    assert loaded.lengths.nnz == kouvola.lengths.nnz
    assert os.listdir(path.parent) == ["walk.npz"]  # no temporary file left behind
    with pytest.raises(ValueError, match="read-only"):
        loaded.xy[0, 0] = 0.0  # one loaded graph serves many requests: it cannot be changed


def test_a_failed_save_leaves_the_old_file_as_it_was(tmp_path, monkeypatch, kouvola):
    path = tmp_path / "walk.npz"
    save_walk_graph(LINE, path)
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_walk_graph(kouvola, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["walk.npz"]


@pytest.mark.parametrize(
    "content",
    [b"", b"not a zip file at all", None],
    ids=["empty", "garbage", "other-npz"],
)
def test_a_file_that_is_not_a_saved_network_is_refused_naming_it(tmp_path, content):
    path = tmp_path / "walk.npz"
    if content is None:
        np.savez(path, something=np.arange(3))
    else:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        load_walk_graph(path)
    assert info.value.message.startswith(f"{path}: not a walk network saved by assetmap")
    assert "import-network" in info.value.message


def test_stored_walk_graph_is_none_without_a_file_and_loaded_once_per_version(tmp_path):
    path = tmp_path / "walk.npz"
    assert stored_walk_graph("") is None
    assert stored_walk_graph(None) is None
    assert stored_walk_graph(path) is None
    save_walk_graph(LINE, path)
    first = stored_walk_graph(path)
    assert first is not None and same_graph(first, LINE)
    assert stored_walk_graph(str(path)) is first  # the same version of the file: not read again
    two = hand_graph([(0, 0), (100, 0)], [(0, 1)])
    save_walk_graph(two, path)
    os.utime(path, ns=(1, 1))  # a different version even within the file system's clock resolution
    assert stored_walk_graph(path).n_nodes == 2


def test_import_network_summary(tmp_path):
    summary = import_network(TEST_PBF, tmp_path / "walk.npz")
    assert summary.line() == (
        f"test.osm.pbf: 781 nodes, 825 edges (largest connected part kept, 10 smaller with 196 nodes "
        f"dropped); saved to {tmp_path / 'walk.npz'}"
    )
    assert files.NetworkSummary("a.osm.pbf", "b.npz", 2, 1, 0, 0).line() == (
        "a.osm.pbf: 2 nodes, 1 edges (one connected part); saved to b.npz"
    )


def test_import_network_names_a_target_it_cannot_write(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / "a-file" / "walk.npz"
    with pytest.raises(ConfigError) as info:
        import_network(TEST_PBF, target)
    assert info.value.message.startswith(f"{target}: cannot save the walk network there (")


# -- the command -------------------------------------------------------------------------------


def test_import_network_command(tmp_path, monkeypatch):
    target = tmp_path / "instance" / "walk.npz"
    monkeypatch.setenv("ASSETMAP_WALK_NETWORK", str(target))
    result = CliRunner().invoke(main, ["import-network", str(TEST_PBF)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"importing {TEST_PBF} ...\n"
    assert result.stdout.startswith("test.osm.pbf: 781 nodes, 825 edges")
    assert result.stdout.rstrip().endswith(f"saved to {target}")
    assert load_walk_graph(target).n_nodes == 781


def test_import_network_command_refuses_a_bad_file_and_keeps_the_old_network(tmp_path, monkeypatch):
    target = tmp_path / "walk.npz"
    save_walk_graph(LINE, target)
    before = target.read_bytes()
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(np.random.default_rng(1).bytes(2048))
    monkeypatch.setenv("ASSETMAP_WALK_NETWORK", str(target))
    result = CliRunner().invoke(main, ["import-network", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(f"error: {bad}: corrupt, or not an OpenStreetMap")
    assert target.read_bytes() == before


def test_import_network_command_needs_somewhere_to_save(monkeypatch):
    monkeypatch.setenv("ASSETMAP_WALK_NETWORK", "")
    result = CliRunner().invoke(main, ["import-network", str(TEST_PBF)])
    assert result.exit_code == 2
    assert "error: WALK_NETWORK is empty" in result.stderr
