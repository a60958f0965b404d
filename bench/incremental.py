"""Time one-asset incremental coverage updates against the full recompute, in the same run.

Run ``flock /tmp/bench.lock .venv/bin/python bench/incremental.py`` (add ``--national`` for the
national-size case of ``bench/coverage.py`` as well; a few minutes more). For each case, from one
state of the unchanged inputs (:func:`assetmap.coverage.incremental.start_coverage`):

- **add**: a copy of a counted asset, 100 m east of it, under a new id;
- **move**: the asset moved 150 m north-east;
- **remove**: the asset closed (gone from the frame, as storage drops a status that does not count);

for ``ASSETS`` different assets drawn with a fixed seed. Each change is timed as
``update_coverage`` (the median over the assets of each asset's median of ``REPEATS`` runs) and as
``compute_coverage`` on the same new inputs, as the service runs it (``asset_ward_column``); the
two results are compared (``bit-identical``: areas and wards frames ``equals``). "areas touched":
areas measured again (within reach of the change, or whose nearest was the changed asset, or whose
nearest it now is); "areas re-summed": areas whose 2SFCA sum was added up again, measuring nothing.

**service**: the web app on a SQLite store holding the pack: one asset's status flips (verified ->
closed -> verified ...) through the store, then the app's coverage is brought up to date, timed
both as the app does it (reading the changed asset and updating its last result:
``assetmap.web.coverage``) and as a full refresh (reading every area, asset and ward from the store
and computing from them, as the app did before it followed changes); the two results are compared.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from pyproj import Transformer  # noqa: E402
from timing import median_seconds  # noqa: E402

from assetmap import taxonomy  # noqa: E402
from assetmap.coverage import CoverageParams, compute_coverage  # noqa: E402
from assetmap.coverage.incremental import CoverageState, start_coverage, update_coverage  # noqa: E402
from assetmap.frames import ASSET_WARD_COLUMN  # noqa: E402
from assetmap.geo import BNG, WGS84  # noqa: E402

ASSETS = 5
REPEATS = {"Leicester": 7, "national": 3}
SEED = 8
TO_BNG = Transformer.from_crs(WGS84, BNG, always_xy=True)
TO_WGS84 = Transformer.from_crs(BNG, WGS84, always_xy=True)


def _bench(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", Path(__file__).parent / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shifted(point: shapely.Point, dx: float, dy: float) -> shapely.Point:
    x, y = TO_BNG.transform(point.x, point.y)
    return shapely.Point(*TO_WGS84.transform(x + dx, y + dy))


def changes(assets: gpd.GeoDataFrame, cats: tuple[str, ...]) -> list[tuple[str, str, gpd.GeoDataFrame]]:
    """(kind, changed id, assets after) for each change timed."""
    # The importer gives assets random ids: draw by place, so every run changes the same assets.
    by_place = np.lexsort((assets.geometry.y, assets.geometry.x, assets["category"]))
    counted = by_place[assets["category"].isin(cats).to_numpy()[by_place]]
    picked = np.random.default_rng(SEED).choice(counted, size=ASSETS, replace=False)
    out = []
    for row in picked:
        asset = assets.iloc[row]
        added = assets.iloc[[row]].copy()
        added["id"], added["geometry"] = f"{asset['id']}-new", [shifted(asset.geometry, 100.0, 0.0)]
        out.append(("add", f"{asset['id']}-new", pd.concat([assets, added], ignore_index=True)))
        moved = assets.copy()
        moved.loc[moved.index[row], "geometry"] = shifted(asset.geometry, 106.0, 106.0)
        out.append(("move", asset["id"], moved))
        out.append(("remove", asset["id"], assets.drop(index=assets.index[row])))
    return out


def same(got: gpd.GeoDataFrame, expected: gpd.GeoDataFrame) -> tuple[bool, float]:
    """Whether the frames are bit-identical, and the largest ``fca_per_1000`` difference."""
    fca = float(
        np.max(np.abs(got["fca_per_1000"].to_numpy() - expected["fca_per_1000"].to_numpy()), initial=0)
    )
    return bool(got.equals(expected)), fca


def run_case(case: str, frames: tuple[gpd.GeoDataFrame, ...], params: CoverageParams) -> list[tuple]:
    areas, assets, wards = frames
    started = time.perf_counter()
    state: CoverageState = start_coverage(areas, assets, wards, params, asset_ward_column=ASSET_WARD_COLUMN)
    print(f"{case}: start_coverage {time.perf_counter() - started:.2f} s", file=sys.stderr)
    repeats = REPEATS[case]
    found: dict[str, dict[str, list]] = {}
    for kind, changed, after in changes(assets, state.result.categories):
        inc, new = median_seconds(
            lambda after=after, changed=changed: update_coverage(
                state, areas, after, wards, params, changed=changed
            ),
            repeats,
        )
        full, expected = median_seconds(
            lambda after=after: compute_coverage(
                areas, after, wards, params, asset_ward_column=ASSET_WARD_COLUMN
            ),
            repeats,
        )
        exact, fca_gap = same(new.result.areas, expected.areas)
        wards_exact, _ = same(new.result.wards, expected.wards)
        row = found.setdefault(kind, {"inc": [], "full": [], "n": [], "sum": [], "exact": [], "gap": []})
        row["inc"].append(inc)
        row["full"].append(full)
        row["n"].append(
            len(np.union1d(new.stats.recounted, np.union1d(new.stats.searched, new.stats.lowered)))
        )
        row["exact"].append(exact and wards_exact)
        row["sum"].append(len(new.stats.resummed))
        row["gap"].append(fca_gap)
    n = f"{len(areas):,} areas, {int(state.alive.sum()):,} counted assets"
    return [
        (
            case,
            n,
            kind,
            statistics.median(r["inc"]) * 1000,
            statistics.median(r["full"]) * 1000,
            int(statistics.median(r["n"])),
            int(statistics.median(r["sum"])),
            f"{sum(r['exact'])}/{len(r['exact'])}",
            max(r["gap"]),
        )
        for kind, r in found.items()
    ]


def service_case(pack_frames_module: Any, repeats: int = 7) -> dict[str, tuple[float, float]]:
    """Median ms to refresh the app's coverage (and its display polygons) after one status change,
    followed and in full; raises if the two ever differ."""
    import tempfile

    from assetmap.models import Status
    from assetmap.web import create_app, get_store
    from assetmap.web.coverage import (
        CoverageOptions,
        _computed,
        _for_display,
        current_coverage,
        display_coverage,
    )

    config = pack_frames_module.CONFIG
    times: dict[str, list[float]] = {k: [] for k in ("followed", "full", "followed display", "full display")}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'leicester.sqlite'}"
        app = create_app(
            {
                "DATABASE_URL": url,
                "WALK_NETWORK": "",
                "SECRET_KEY": "bench-" + "0" * 40,
                "DATA_PACK": config["DATA_PACK"],
            }
        )
        options = CoverageOptions.from_config(app.config)
        with app.app_context():
            store = get_store()
            for _ in pack_frames_module.load_pack(store, pack_frames_module.PACK):
                pass
            display_coverage()
            cats = set(taxonomy.asset_categories())
            asset = next(a for a in store.assets() if a.category in cats and str(a.status) == "verified")

            def flip(asset: Any) -> Any:
                """Close a verified asset, or verify a closed one, through the store."""
                status = Status.CLOSED if asset.status is Status.VERIFIED else Status.VERIFIED
                return store.set_status(asset.id, status, expected_version=asset.version, actor="bench")

            for _ in range(repeats + 1):
                asset = flip(asset)
                started = time.perf_counter()
                got = display_coverage()  # the coverage, then its display polygons
                times["followed display"].append(time.perf_counter() - started)
                started = time.perf_counter()
                expected = _computed(options)
                times["full"].append(time.perf_counter() - started)
                expected_display = _for_display(expected)
                times["full display"].append(time.perf_counter() - started)
                if not (
                    got.areas.equals(expected_display.areas) and got.wards.equals(expected_display.wards)
                ):
                    raise AssertionError("the followed coverage differs from the full recompute")
                # the coverage alone, followed: undo and redo the change, timing the redo
                asset = flip(asset)
                display_coverage()
                asset = flip(asset)
                started = time.perf_counter()
                current_coverage()
                times["followed"].append(time.perf_counter() - started)
        store.close()
    median = {k: statistics.median(v[1:]) * 1000 for k, v in times.items()}  # the first run warms up
    return {
        "coverage": (median["followed"], median["full"]),
        "coverage + display polygons": (median["followed display"], median["full display"]),
    }


def main() -> None:
    params = CoverageParams()
    leicester = _bench("leicester_frames").load_frames()
    rows = run_case("Leicester", leicester, params)
    service = service_case(_bench("leicester_frames"))
    if "--national" in sys.argv:
        coverage = _bench("coverage")
        areas, assets, wards = leicester
        counted = assets[assets["category"].isin(taxonomy.asset_categories())]
        national = coverage.national_frames(areas, counted, wards)
        rows += run_case("national", national, params)
    print(
        f"median over {ASSETS} assets of each one's median of {REPEATS['Leicester']} (Leicester) / "
        f"{REPEATS['national']} (national) runs after a warm-up"
    )
    print(
        "| case | inputs | change | update_coverage ms | compute_coverage ms | speed-up | areas touched "
        "| areas re-summed | bit-identical | max fca diff |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for case, n, kind, inc, full, touched, resummed, exact, gap in rows:
        print(
            f"| {case} | {n} | {kind} | {inc:.2f} | {full:.2f} | {full / inc:.1f}x | {touched} "
            f"| {resummed} | {exact} | {gap:.1e} |"
        )
    print()
    print("service (Leicester pack in SQLite): one asset's status changed, the app's coverage refreshed;")
    print("followed: read the changed asset, update the last result; full: read every area, asset and")
    print("ward, compute (and simplify the polygons); the same frames every time (checked)")
    print("| refresh | followed ms | full ms | speed-up |")
    print("|---|---:|---:|---:|")
    for what, (followed, full) in service.items():
        print(f"| {what} | {followed:.2f} | {full:.2f} | {full / followed:.1f}x |")


if __name__ == "__main__":
    main()
