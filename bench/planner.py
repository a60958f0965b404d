"""Time the pilot planner, the what-if and the site finder on Leicester, against spopt's MCLP.

Run ``flock /tmp/bench.lock .venv/bin/python bench/planner.py`` (well under a minute). A script,
not a test: it prints a table, and says whether each target is met.

Cases (the real pack through the importer, as ``bench/leicester_frames.py`` loads it; coverage with
the configured walking model, computed once):

- **pilots**: 192 LSOAs as candidates, k = 5, at least 2 km apart, reach 1 km (``PLANNER_REACH_M``);
  ``select_pilots`` with no alternatives (target: proven optimal in < 5 s), and with the configured
  alternatives.
- **peer**: spopt's ``MCLP`` on the same instance: the same 192 candidates, the same distance matrix
  (the planner's own, so coverage sets agree), the same weights (``residents_50plus × gap_score``),
  the same reach and p = 5, solved by the same CBC. spopt has no separation constraint, so it is
  compared with the planner asked for no separation (the objectives must agree), and its picks'
  closest pair is reported against the 2 km rule.
- **infeasible**: k = 8 at 4 km, which cannot be met: time to the error with both relaxations.
- **what-if**: one hypothetical library, and ten assets of mixed categories, with the baseline
  given (target: < 200 ms); and the whole request as the service answers it: ``POST /api/whatif``
  with one library, through the Flask app (its test client, no network in between) on the pack
  loaded into a throwaway SQLite file, after a first request has filled the app's caches.
- **sites**: the best 3 new library sites among existing community buildings.
- **network**: the hook below runs ``bench/network_case.py`` (nearest assets along the walk
  network against pandana, written separately) when it is present.

Each time is the median of several runs after one warm-up run.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import platform
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pulp  # noqa: E402
import spopt  # noqa: E402
import timing  # noqa: E402
from leicester_frames import CONFIG, load_frames  # noqa: E402
from spopt.locate import MCLP  # noqa: E402

from assetmap.coverage import CoverageParams, CoverageResult, compute_coverage  # noqa: E402
from assetmap.planner import (  # noqa: E402
    NewAsset,
    PilotParams,
    PlanInfeasible,
    SiteParams,
    select_pilots,
    suggest_sites,
    what_if,
)
from assetmap.planner.places import area_points, distances, to_metres  # noqa: E402

REPEATS = 5
K = 5
SEPARATION_M = 2000.0
NETWORK_CASE = Path(__file__).resolve().parent / "network_case.py"

Row = tuple[str, str, float, str, str]  # case, method, median seconds, result, note


def median_seconds(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    return timing.median_seconds(fn, repeats)


def pilot_rows(areas: gpd.GeoDataFrame, coverage: CoverageResult) -> list[Row]:
    """The planner with and without the separation, and spopt's MCLP on the same instance."""
    ask = PilotParams.from_config(CONFIG, k=K, min_separation_m=SEPARATION_M, alternatives=0)
    seconds, plan = median_seconds(lambda: select_pilots(coverage, areas, ask))
    rows: list[Row] = [
        (
            "pilots",
            f"assetmap select_pilots (k={K}, ≥ {SEPARATION_M / 1000:g} km apart)",
            seconds,
            f"{plan.best.objective:,.1f}, {plan.best.status}",
            _target(seconds < 5 and plan.best.optimal, "proven optimal in < 5 s"),
        )
    ]
    with_alternatives = PilotParams.from_config(CONFIG, k=K, min_separation_m=SEPARATION_M)
    seconds, plan = median_seconds(lambda: select_pilots(coverage, areas, with_alternatives))
    rows.append(
        (
            "pilots",
            f"the same, best + {with_alternatives.alternatives} alternatives",
            seconds,
            ", ".join(f"{p.objective:,.1f}" for p in plan.portfolios),
            "all " + ("optimal" if all(p.optimal for p in plan.portfolios) else "NOT all optimal"),
        )
    )
    free = PilotParams.from_config(CONFIG, k=K, alternatives=0)
    seconds, ours = median_seconds(lambda: select_pilots(coverage, areas, free))
    rows.append(
        (
            "peer",
            f"assetmap select_pilots (k={K}, no separation)",
            seconds,
            f"{ours.best.objective:,.1f}, {ours.best.status}",
            f"closest pair {_closest(areas, coverage, [p.code for p in ours.best.picks])}",
        )
    )
    apart = distances(to_metres(*area_points(coverage, areas), coverage.crs))
    weights = (coverage.areas["residents_50plus"] * coverage.areas["gap_score"]).fillna(0.0).to_numpy()
    reach = free.reach_m

    def spopt_mclp() -> MCLP:
        model = MCLP.from_cost_matrix(apart, weights, service_radius=reach, p_facilities=K)
        return model.solve(pulp.COIN_CMD(path=pulp.PULP_CBC_CMD.pulp_cbc_path, msg=False))

    seconds, model = median_seconds(spopt_mclp)
    objective = pulp.value(model.problem.objective)
    picks = [str(c) for c, v in zip(coverage.areas["code"], model.fac_vars, strict=True) if v.value() > 0.5]
    agree = "objectives agree" if abs(objective - ours.best.objective) <= 1e-6 * objective else "DISAGREE"
    rows.append(
        (
            "peer",
            f"spopt {spopt.__version__} MCLP (p={K}; has no separation constraint)",
            seconds,
            f"{objective:,.1f}, {pulp.LpStatus[model.problem.status].lower()}",
            f"{agree}; closest pair {_closest(areas, coverage, picks)}",
        )
    )
    return rows


def infeasible_row(areas: gpd.GeoDataFrame, coverage: CoverageResult) -> Row:
    ask = PilotParams.from_config(CONFIG, k=8, min_separation_m=4000.0, alternatives=0)

    def attempt() -> str:
        try:
            select_pilots(coverage, areas, ask)
        except PlanInfeasible as exc:
            return exc.message.split("; ", 1)[1]
        return "feasible (unexpected)"

    seconds, advice = median_seconds(attempt, repeats=3)
    return (
        "infeasible",
        "select_pilots k=8, ≥ 4 km: error with relaxations",
        seconds,
        advice,
        "exact, by MILP",
    )


def what_if_rows(
    frames: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame],
    walk: CoverageParams,
    coverage: CoverageResult,
) -> list[Row]:
    areas, assets, wards = frames
    one = [NewAsset(*_neediest_point(areas, coverage), "library")]
    rng = np.random.default_rng(4)
    picks = areas.iloc[rng.choice(len(areas), size=10, replace=False)]
    kinds = itertools.cycle(["library", "cafe", "community_centre", "bench", "park"])
    ten = [NewAsset(float(r.pw_lon), float(r.pw_lat), next(kinds)) for r in picks.itertuples()]
    rows: list[Row] = []
    for label, points in (("1 library", one), ("10 assets, 5 categories", ten)):
        seconds, change = median_seconds(
            partial(
                what_if, areas, assets, wards, walk, points, baseline=coverage, asset_ward_column="ward_code"
            )
        )
        newly = ", ".join(
            f"{c[len('new_50plus_') :]} +{v:,.0f}" for c, v in change.city.items() if c.startswith("new_")
        )
        rows.append(
            (
                "what-if",
                f"what_if, {label}, baseline given",
                seconds,
                newly,
                _target(seconds < 0.2, "< 200 ms"),
            )
        )
    return rows


def what_if_request_row(lon: float, lat: float) -> Row:
    """``POST /api/whatif`` with a library at (lon, lat): the app on the pack in a throwaway SQLite."""
    import tempfile

    from assetmap.importers.pack import load_pack
    from assetmap.storage import open_store
    from assetmap.web import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'leicester.sqlite'}"
        store = open_store(url)
        store.migrate()
        for _ in load_pack(store, Path(CONFIG["DATA_PACK"])):
            pass
        store.close()
        client = create_app({"DATABASE_URL": url, "WALK_NETWORK": ""}).test_client()
        payload = {"points": [{"lon": lon, "lat": lat, "category": "library"}]}

        def ask() -> dict[str, Any]:
            response = client.post("/api/whatif", json=payload)
            assert response.status_code == 200, response.get_data(as_text=True)
            return dict(response.get_json())

        seconds, body = median_seconds(ask, repeats=21)
    return (
        "what-if",
        "POST /api/whatif, 1 library (Flask app, caches warm)",
        seconds,
        f"library +{body['city']['new_50plus_library']:,.0f}",
        _target(seconds < 0.2, "< 200 ms"),
    )


def _neediest_point(areas: gpd.GeoDataFrame, coverage: CoverageResult) -> tuple[float, float]:
    """The population-weighted point of the area with the largest gap score (what_if_rows' library)."""
    centre = areas.iloc[int(np.argmax(coverage.areas["gap_score"].to_numpy()))]
    return float(centre["pw_lon"]), float(centre["pw_lat"])


def sites_row(
    frames: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame],
    walk: CoverageParams,
    coverage: CoverageResult,
) -> Row:
    areas, assets, _ = frames
    ask = SiteParams.from_config(CONFIG, category="library", k=3)
    seconds, found = median_seconds(lambda: suggest_sites(coverage, areas, assets, walk, ask))
    return (
        "sites",
        f"suggest_sites library k=3 among {found.n_candidates} buildings",
        seconds,
        f"+{found.residents_50plus:,.0f} aged 50+, {found.status}",
        f"of {found.residents_without:,.0f} without a library in reach",
    )


# --- Hook: the network-nearest case --------------------------------------------------------------
# bench/network_case.py is written separately (nearest assets along the walk network, against
# pandana). When it exists, its ``network_rows()`` is called and each row it returns (a dict with
# ``case``, ``method``, ``median_s``, ``ratio`` to pandana's median and ``agreement``) joins this
# table. Nothing else here depends on it.
def network_rows() -> list[Row]:
    if not NETWORK_CASE.is_file():
        return [("network", "bench/network_case.py", math.nan, "not present", "hook left for it")]
    spec = importlib.util.spec_from_file_location("network_case", NETWORK_CASE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        return [("network", "bench/network_case.py", math.nan, f"cannot import it: {exc}", "hook not used")]
    return [
        (
            "network",
            str(r["method"]),
            float(r["median_s"]),
            f"{r['ratio']:.2f} × pandana's time",
            "; ".join(str(part) for part in (r["case"], r["agreement"]) if part),
        )
        for r in module.network_rows()
    ]


def _closest(areas: gpd.GeoDataFrame, coverage: CoverageResult, codes: list[str]) -> str:
    lon, lat = area_points(coverage, areas)
    chosen = coverage.areas["code"].isin(codes).to_numpy()
    apart = distances(to_metres(lon[chosen], lat[chosen], coverage.crs))
    return f"{apart[np.triu_indices(len(apart), 1)].min():,.0f} m"


def _target(met: bool, what: str) -> str:
    return f"target {what}: {'met' if met else 'NOT MET'}"


def machine() -> str:
    versions = f"Python {platform.python_version()}, PuLP {pulp.__version__} (bundled CBC)"
    return timing.machine(f"{versions}, spopt {spopt.__version__}")


def main() -> None:
    started = time.perf_counter()
    frames = load_frames()
    walk = CoverageParams.from_config(CONFIG)
    coverage = compute_coverage(*frames, walk, asset_ward_column="ward_code")
    areas = frames[0]
    rows = [
        *pilot_rows(areas, coverage),
        infeasible_row(areas, coverage),
        *what_if_rows(frames, walk, coverage),
        what_if_request_row(*_neediest_point(areas, coverage)),
        sites_row(frames, walk, coverage),
        *network_rows(),
    ]
    print(machine())
    print(
        f"Leicester: {len(areas)} LSOAs, {len(frames[1])} assets, {len(frames[2])} wards; "
        f"median of {REPEATS} runs after one warm-up (3 for the infeasible case)"
    )
    method_width = max(len(r[1]) for r in rows)
    result_width = max(len(r[3]) for r in rows)
    print(f"| case       | {'method':<{method_width}} | median s | {'result':<{result_width}} | note")
    print(f"|------------|{'-' * (method_width + 2)}|---------:|{'-' * (result_width + 2)}|-----")
    for case, method, seconds, result, note in rows:
        print(f"| {case:<10} | {method:<{method_width}} | {seconds:8.3f} | {result:<{result_width}} | {note}")
    print(f"total bench time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
