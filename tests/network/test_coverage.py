"""Coverage along a walk network: golden values, Helsinki end to end, and the web and CLI wiring."""

from __future__ import annotations

import csv

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra

from assetmap import geo, taxonomy
from assetmap.cli import main
from assetmap.coverage import CoverageParams, compute_coverage
from assetmap.errors import InvalidInput
from assetmap.models import AREA_MEASURES
from assetmap.network import build_walk_graph, save_walk_graph
from tests.network.zoo import engine_frames, hand_graph

# Nodes 0-1-2-3 along the x axis, 100 m apart; a 5-minute walk at 1 m/s is 300 m.
LINE = hand_graph([(0, 0), (100, 0), (200, 0), (300, 0)], [(0, 1), (1, 2), (2, 3)])
PARAMS = CoverageParams(speed_mps=1.0, detour_factor=1.3, minutes=5.0)
FRAMES = engine_frames(
    [("A1", (0, 30)), ("A2", (300, 0))],
    [("c1", "cafe", (300, 0)), ("l1", "library", (0, 40)), ("b1", "bus_stop", (0, 30))],
)


def test_golden_values_along_the_network():
    result = compute_coverage(*FRAMES, PARAMS, categories=("cafe", "library"), network=LINE)
    assert (result.distance_model, result.crs) == ("network", "EPSG:27700")
    areas = result.areas.set_index("code")
    # Points go to lon/lat and back to BNG on the way, through a datum shift: equal to within 1 cm.
    # A1 is 30 m off node 0: the cafe on node 3 is 30 + 300 m away, the library (40 m off node 0) 30 + 40.
    assert areas["dist_m_cafe"].tolist() == pytest.approx([330.0, 0.0], abs=0.01)
    assert areas["dist_m_library"].tolist() == pytest.approx([70.0, 340.0], abs=0.01)
    assert areas["dist_m_any"].tolist() == pytest.approx([70.0, 0.0], abs=0.01)
    # Walking time is network metres at 1 m/s: no detour factor.
    assert areas["walk_min_cafe"].tolist() == pytest.approx([5.5, 0.0], abs=0.01)
    assert areas["n_within_cafe"].tolist() == [0, 1]  # 330 m is past the 300 m walk
    assert areas["n_within_library"].tolist() == [1, 0]
    # Each asset's catchment holds one area of 100 residents aged 50+: 10 per 1,000 each.
    assert areas["fca_per_1000"].tolist() == pytest.approx([10.0, 10.0])


def test_without_a_network_distances_are_straight_lines():
    result = compute_coverage(*FRAMES, PARAMS, categories=("cafe", "library"))
    assert result.distance_model == "straight_line"
    areas = result.areas.set_index("code")
    assert areas["dist_m_cafe"].tolist() == pytest.approx([np.hypot(300, 30), 0.0], abs=0.01)
    assert areas["walk_min_cafe"].iloc[0] == pytest.approx(np.hypot(300, 30) * 1.3 / 60, abs=0.01)


def test_a_network_of_another_place_is_refused(helsinki):
    with pytest.raises(InvalidInput, match="walk network: measured in EPSG:32635, but these small areas"):
        compute_coverage(*FRAMES, PARAMS, network=helsinki)


# -- Helsinki, end to end ----------------------------------------------------------------------


def helsinki_areas(graph) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A 5 x 5 grid of small areas over the network's extent (pw points at their centres), two wards."""
    (minx, miny), (maxx, maxy) = graph.xy.min(axis=0), graph.xy.max(axis=0)
    xs, ys = np.linspace(minx, maxx, 6), np.linspace(miny, maxy, 6)
    boxes = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(5) for j in range(5)]
    cells = gpd.GeoSeries(boxes, crs=graph.crs)
    centres = cells.centroid.to_crs(geo.WGS84)
    rng = np.random.default_rng(5)
    areas = gpd.GeoDataFrame(
        {
            "code": [f"H{k:02d}" for k in range(25)],
            "name": [f"Cell {k}" for k in range(25)],
            "ward_code": ["HW" if k < 15 else "HE" for k in range(25)],
            **{m: rng.uniform(1, 100, 25) for m in AREA_MEASURES},
            "pw_lon": centres.x.to_numpy(),
            "pw_lat": centres.y.to_numpy(),
        },
        geometry=cells.to_crs(geo.WGS84).values,
        crs=geo.WGS84,
    )
    west, east = shapely.union_all(boxes[:15]), shapely.union_all(boxes[15:])
    wards = gpd.GeoDataFrame(
        {"code": ["HE", "HW"], "name": ["East", "West"]},
        geometry=gpd.GeoSeries([east, west], crs=graph.crs).to_crs(geo.WGS84).values,
        crs=geo.WGS84,
    )
    return areas, wards


@pytest.fixture(scope="module")
def helsinki_runs(helsinki, helsinki_assets):
    """Coverage of the Helsinki grid by its points of interest: along the network, and in straight lines
    with no detour (so both count the same 600 m walk)."""
    areas, wards = helsinki_areas(helsinki)
    params = CoverageParams(speed_mps=1.0, detour_factor=1.0, minutes=10.0)
    found = set(helsinki_assets["category"])
    cats = [c for c in taxonomy.asset_categories() if c in found]  # no care or "other" in the extract
    network = compute_coverage(areas, helsinki_assets, wards, params, categories=cats, network=helsinki)
    straight = compute_coverage(areas, helsinki_assets, wards, params, categories=cats)
    return network, straight, areas


def test_helsinki_network_distances_are_at_least_the_straight_line(helsinki_runs):
    network, straight, _ = helsinki_runs
    assert (network.distance_model, straight.distance_model) == ("network", "straight_line")
    assert network.crs == straight.crs == "EPSG:32635"
    assert network.categories == straight.categories
    assert len(network.categories) == 8
    for c in (*network.categories, "any"):
        along, crow = network.areas[f"dist_m_{c}"], straight.areas[f"dist_m_{c}"]
        assert np.isfinite(along).all()
        assert (along >= crow - 1e-6).all(), c
        assert (network.areas[f"n_within_{c}"] <= straight.areas[f"n_within_{c}"]).all(), c
        np.testing.assert_allclose(network.areas[f"walk_min_{c}"], along / 60.0)
    # The network is longer somewhere, and reaches fewer assets somewhere.
    assert (network.areas["dist_m_any"] > straight.areas["dist_m_any"] + 1.0).any()
    assert network.areas["n_within_any"].sum() < straight.areas["n_within_any"].sum()
    assert network.areas["n_within_any"].sum() > 0


def test_helsinki_distances_match_a_direct_computation(helsinki_runs, helsinki, helsinki_assets):
    """The engine's multi-source runs give what one Dijkstra from each area's node gives."""
    network, _, areas = helsinki_runs
    to_utm = Transformer.from_crs(geo.WGS84, helsinki.crs, always_xy=True)
    demand = np.column_stack(to_utm.transform(areas["pw_lon"].to_numpy(), areas["pw_lat"].to_numpy()))
    supply = np.column_stack(to_utm.transform(helsinki_assets.geometry.x, helsinki_assets.geometry.y))
    d_off, d_node = helsinki.tree.query(demand)
    s_off, s_node = helsinki.tree.query(supply)
    paths = dijkstra(helsinki.lengths, indices=d_node)
    metres = d_off[:, None] + paths[:, s_node] + s_off[None, :]
    category = helsinki_assets["category"].to_numpy()
    for c in network.categories:
        members = category == c
        np.testing.assert_allclose(network.areas[f"dist_m_{c}"], metres[:, members].min(axis=1), rtol=1e-9)
        within = (metres[:, members] <= 600.0 * (1 + 1e-9)).sum(axis=1)
        assert network.areas[f"n_within_{c}"].tolist() == within.tolist(), c


# -- wiring: the web layer and the CLI use the stored network ---------------------------------


def web_zoo_network():
    """A path through the web zoo: area A1's point, the bench, the café, area A2's point."""
    lon = np.array([-1.135, -1.1355, -1.1345, -1.125])
    lat = np.array([52.625, 52.6255, 52.6245, 52.625])
    return build_walk_graph(np.arange(1, 5), lon, lat, np.array([1, 2, 3]), np.array([2, 3, 4]))


def test_web_coverage_uses_the_stored_network(app, tmp_path):
    from assetmap.web.coverage import CoverageOptions, current_coverage

    graph = web_zoo_network()
    app.config["WALK_NETWORK"] = str(tmp_path / "absent.npz")
    with app.app_context():
        straight = current_coverage()
    save_walk_graph(graph, tmp_path / "walk.npz")
    app.config["WALK_NETWORK"] = str(tmp_path / "walk.npz")
    other = CoverageOptions.from_config(app.config, minutes=11.0)  # not the app's own: not cached
    with app.app_context():
        along = current_coverage(other)
    assert (straight.distance_model, along.distance_model) == ("straight_line", "network")
    a1 = along.areas.set_index("code").loc["A1"]
    to_bench, bench_to_cafe = graph.lengths[0, 1], graph.lengths[1, 2]
    assert a1["dist_m_bench"] == pytest.approx(to_bench, abs=0.01)
    assert a1["dist_m_cafe"] == pytest.approx(to_bench + bench_to_cafe, abs=0.01)
    assert (
        a1["dist_m_cafe"] > straight.areas.set_index("code").loc["A1", "dist_m_cafe"] + 50.0
    )  # via the bench


def test_coverage_report_uses_the_stored_network(app, tmp_path, monkeypatch):
    graph = web_zoo_network()
    save_walk_graph(graph, tmp_path / "walk.npz")
    monkeypatch.setenv("ASSETMAP_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("ASSETMAP_WALK_NETWORK", str(tmp_path / "walk.npz"))
    result = CliRunner().invoke(main, ["coverage-report", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"distances: along the walk network in {tmp_path / 'walk.npz'}" in result.stderr
    with (tmp_path / "out" / "areas.csv").open() as fh:
        a1 = next(row for row in csv.DictReader(fh) if row["code"] == "A1")
    assert float(a1["dist_m_cafe"]) == pytest.approx(graph.lengths[0, 1] + graph.lengths[1, 2], abs=1e-3)

    monkeypatch.setenv("ASSETMAP_WALK_NETWORK", "")
    result = CliRunner().invoke(main, ["coverage-report", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "distances: straight lines x detour factor 1.3" in result.stderr
