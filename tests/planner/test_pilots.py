"""Pilot selection (assetmap.planner.pilots) on hand-made instances, checked by hand and by brute force.

Brute force tries every set of k candidates (itertools.combinations): a set is allowed when every
pair is at least the separation apart (and not adjacent, if asked), and is worth the sum of
``residents × gap`` over the small areas within the reach of any of its members.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from assetmap.errors import InvalidInput
from assetmap.planner import PilotParams, PlanInfeasible, select_pilots
from tests.planner.conftest import plan_instance

# Six areas in a row 1 km apart; a reach of 600 m reaches only the area itself.
LINE_XY = [(1000.0 * i, 0.0) for i in range(6)]
LINE_RESIDENTS = [100, 500, 400, 300, 200, 600]
LINE_WARDS = ["W1", "W1", "W2", "W2", "W3", "W3"]


@pytest.fixture
def line():
    return plan_instance(LINE_XY, residents=LINE_RESIDENTS, gap=[0.1] * 6, wards=LINE_WARDS)


def params(**kw) -> PilotParams:
    return PilotParams(**{"reach_m": 600.0, "alternatives": 0, **kw})


def codes(portfolio) -> set[str]:
    return {p.code for p in portfolio.picks}


def test_line_by_hand(line):
    plan = select_pilots(*line, params(k=2))
    best = plan.best
    assert codes(best) == {"A05", "A01"}  # worth 60 and 50
    assert best.objective == pytest.approx(110.0)
    assert best.residents_50plus == 1100.0
    assert best.status == "optimal" and best.optimal and best.gap == 0.0
    assert [p.code for p in best.picks] == ["A05", "A01"]  # most valuable first
    assert [p.nearest_pilot_km for p in best.picks] == pytest.approx([4.0, 4.0])
    assert best.picks[0].areas == ("A05",)
    assert best.picks[0].ward_code == "W3" and best.picks[0].ward_name == "Ward W3"
    assert best.picks[0].why == (
        "need 0.10, gap 0.10; reaches 1 small area with 600 residents aged 50+ not otherwise reached; "
        "4.0 km from the nearest other pilot"
    )


def test_separation_is_respected_and_inclusive(line):
    # A05 and A01 are 4 km apart: asking for 4 km still allows them, 4.5 km does not.
    assert codes(select_pilots(*line, params(k=2, min_separation_m=4000.0)).best) == {"A05", "A01"}
    best = select_pilots(*line, params(k=2, min_separation_m=4500.0)).best
    assert codes(best) == {"A00", "A05"} and best.objective == pytest.approx(70.0)


def test_a_pilot_reaches_its_neighbours_once(line):
    # Reach 1 km: each area reaches its neighbours; A02 reaches A01, A02, A03 (1,200 residents).
    best = select_pilots(*line, params(k=1, reach_m=1000.0)).best
    assert codes(best) == {"A02"} and best.objective == pytest.approx(120.0)
    two = select_pilots(*line, params(k=2, reach_m=1000.0)).best
    # A01 (A00-A02: 1000) and A04 (A03-A05: 1100) reach every area once.
    assert codes(two) == {"A01", "A04"} and two.objective == pytest.approx(210.0)
    assert sorted(a for p in two.picks for a in p.areas) == [f"A0{i}" for i in range(6)]


def test_exclude_mode_leaves_programme_wards_out(line):
    plan = select_pilots(*line, params(k=2, programme_mode="exclude"), programme_wards=["W3"])
    assert codes(plan.best) == {"A01", "A02"} and plan.best.objective == pytest.approx(90.0)
    assert plan.excluded == ("A04", "A05") and plan.fixed == ()
    # Excluded areas are not counted even when a pilot reaches them.
    near = select_pilots(*line, params(k=1, reach_m=1000.0, programme_mode="exclude"), programme_wards=["W3"])
    assert codes(near.best) == {"A02"} and near.best.objective == pytest.approx(120.0)  # A01+A02+A03


def test_fixed_mode_keeps_programme_pilots_and_their_reach(line):
    plan = select_pilots(
        *line, params(k=2, min_separation_m=1500.0, programme_mode="fixed"), programme_wards=["W3"]
    )
    # A04 and A05 are fixed; new pilots at least 1.5 km from them and from each other: A00 and A02.
    assert codes(plan.best) == {"A00", "A02"} and plan.best.objective == pytest.approx(50.0)
    assert [p.code for p in plan.fixed] == ["A05", "A04"] and all(p.fixed for p in plan.fixed)
    assert [p.nearest_pilot_km for p in plan.best.picks] == pytest.approx([2.0, 2.0])  # A02: A00, A04
    # With reach 1 km the fixed pilots already reach A03: a new pilot there adds nothing for it.
    near = select_pilots(*line, params(k=1, reach_m=1000.0, programme_mode="fixed"), programme_wards=["W3"])
    assert codes(near.best) == {"A01"} and near.best.objective == pytest.approx(100.0)  # A00 + A01 + A02
    assert {a for p in near.fixed for a in p.areas} == {"A03", "A04", "A05"}


def test_ignore_mode_ignores_the_programme(line):
    assert codes(select_pilots(*line, params(k=2), programme_wards=["W3"]).best) == {"A05", "A01"}


def test_fixed_mode_infeasible_by_hand(line):
    with pytest.raises(PlanInfeasible) as caught:
        select_pilots(
            *line, params(k=3, min_separation_m=1500.0, programme_mode="fixed"), programme_wards=["W3"]
        )
    error = caught.value
    # At 1.5 km only A00-A02 are clear of A04, and only A00 and A02 are apart; at 1 km, A00-A02 fit.
    assert (error.max_k, error.max_separation_m) == (2, pytest.approx(1000.0))
    assert error.message == (
        "k = 3 is too many: at most 2 pilots can be 1.5 km apart (counting the programme wards kept as "
        "fixed pilots); lower k to 2 or the separation to 1 km"
    )
    assert error.status == 400


def test_too_few_candidates_left(line):
    with pytest.raises(PlanInfeasible) as caught:
        select_pilots(*line, params(k=3, programme_mode="exclude"), programme_wards=["W1", "W2"])
    assert caught.value.message == (
        "k = 3 is too many: only 2 small areas can be chosen (4 are in programme wards, which are "
        "excluded); lower k to 2"
    )
    assert caught.value.max_separation_m is None


def test_ward_level_reaches_own_areas_from_population_weighted_centres(line):
    plan = select_pilots(*line, params(k=2, level="ward", alternatives=2))
    best = plan.best
    assert codes(best) == {"W2", "W3"} and best.objective == pytest.approx(150.0)  # 70 + 80
    # Centres: W2 at (2000×400 + 3000×300) / 700, W3 at (4000×200 + 5000×600) / 800.
    apart = (4000 * 200 + 5000 * 600) / 800 - (2000 * 400 + 3000 * 300) / 700
    assert [p.nearest_pilot_km for p in best.picks] == pytest.approx([apart / 1000] * 2, abs=1e-6)
    assert {p.code: p.areas for p in best.picks} == {"W2": ("A02", "A03"), "W3": ("A04", "A05")}
    assert [p.objective for p in plan.portfolios] == pytest.approx([150.0, 140.0, 130.0])
    w3 = next(p for p in best.picks if p.code == "W3")
    assert w3.gap_score == pytest.approx(0.1) and w3.ward_name == "Ward W3" and w3.name == "Ward W3"


def test_no_adjacent_on_a_grid():
    # A 3 × 3 grid of touching 500 m squares; the centre is worth the most, the corners next.
    xy = [(500.0 * (i % 3), 500.0 * (i // 3)) for i in range(9)]
    residents = [300, 10, 300, 10, 1000, 10, 300, 10, 300]
    coverage, areas = plan_instance(xy, residents=residents, gap=[1.0] * 9, side=500.0)
    close = select_pilots(coverage, areas, params(k=2, reach_m=10.0))
    assert "A04" in codes(close.best)
    apart = select_pilots(coverage, areas, params(k=2, reach_m=10.0, no_adjacent=True))
    # The centre touches every other square (corners included): two corners beat it.
    assert len(codes(apart.best) & {"A00", "A02", "A06", "A08"}) == 2
    assert apart.best.objective == pytest.approx(600.0)
    with pytest.raises(PlanInfeasible) as caught:
        select_pilots(coverage, areas, params(k=5, reach_m=10.0, no_adjacent=True))
    assert caught.value.message == (
        "k = 5 is too many: at most 4 pilots can be non-adjacent; lower k to 4 or allow adjacent pilots"
    )
    assert caught.value.allow_adjacent and caught.value.max_separation_m is None
    # No two squares of the grid are 1.5 km apart (the diagonal is 1.41 km); the four corners are 1 km.
    with pytest.raises(PlanInfeasible) as caught:
        select_pilots(coverage, areas, params(k=4, reach_m=10.0, min_separation_m=1500.0, no_adjacent=True))
    assert caught.value.message == (
        "k = 4 is too many: at most 1 pilot can be 1.5 km apart and non-adjacent; lower k to 1 or the "
        "separation to 1 km"
    )
    assert caught.value.max_separation_m == pytest.approx(1000.0) and not caught.value.allow_adjacent


def test_alternatives_are_the_next_best_portfolios():
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 3000, size=(9, 2))
    residents = rng.integers(50, 500, size=9)
    gap = rng.uniform(0.1, 0.9, size=9)
    coverage, areas = plan_instance(xy, residents=residents, gap=gap)
    plan = select_pilots(coverage, areas, params(k=3, min_separation_m=800.0, reach_m=900.0, alternatives=5))
    feasible = _brute_force(xy, residents * gap, k=3, reach_m=900.0, separation_m=800.0)
    assert len(plan.portfolios) == 6
    assert [p.objective for p in plan.portfolios] == pytest.approx([v for v, _ in feasible[:6]])
    assert [p.rank for p in plan.portfolios] == [1, 2, 3, 4, 5, 6]
    assert len({frozenset(codes(p)) for p in plan.portfolios}) == 6
    for portfolio in plan.portfolios:
        assert portfolio.status == "optimal"
        assert _min_apart(xy, [int(c[1:]) for c in codes(portfolio)]) >= 800.0
        assert sum(p.value for p in portfolio.picks) == pytest.approx(portfolio.objective)


def test_alternatives_stop_when_no_portfolio_is_left(line):
    plan = select_pilots(*line, params(k=5, alternatives=10))
    assert len(plan.portfolios) == 6  # C(6, 5)
    objectives = [p.objective for p in plan.portfolios]
    assert objectives == sorted(objectives, reverse=True)


@settings(max_examples=30, deadline=None)
@given(
    points=st.lists(
        st.tuples(st.integers(0, 300), st.integers(0, 300), st.integers(0, 500), st.integers(0, 100)),
        min_size=4,
        max_size=8,
        unique_by=lambda p: (p[0], p[1]),
    ),
    k=st.integers(1, 4),
    separation=st.sampled_from([0.0, 500.0, 1000.0, 1500.0]),
    reach=st.sampled_from([300.0, 700.0]),
)
def test_matches_brute_force(points, k, separation, reach):
    xy = np.array([(10.0 * x, 10.0 * y) for x, y, _, _ in points])
    residents = np.array([r for _, _, r, _ in points], dtype=float)
    gap = np.array([g / 100 for _, _, _, g in points])
    coverage, areas = plan_instance(xy, residents=residents, gap=gap)
    ask = params(k=k, min_separation_m=separation, reach_m=reach)
    feasible = _brute_force(xy, residents * gap, k=k, reach_m=reach, separation_m=separation)
    event("feasible" if feasible else "infeasible")
    if feasible:
        best = select_pilots(coverage, areas, ask).best
        assert best.objective == pytest.approx(feasible[0][0], abs=1e-6)
        assert _min_apart(xy, [int(c[1:]) for c in codes(best)]) >= separation - 1e-6
        return
    with pytest.raises(PlanInfeasible) as caught:
        select_pilots(coverage, areas, ask)
    most = max(m for m in range(k) if m <= 1 or _brute_force(xy, None, k=m, separation_m=separation))
    widest = max(_min_apart(xy, list(c)) for c in itertools.combinations(range(len(xy)), k))
    assert caught.value.max_k == most
    assert caught.value.max_separation_m == pytest.approx(widest, abs=1e-5)
    assert f"lower k to {most} or the separation to " in caught.value.message


@settings(max_examples=30, deadline=None)
@given(
    points=st.lists(st.tuples(st.integers(0, 120), st.integers(0, 120)), min_size=4, max_size=9, unique=True),
    k=st.integers(3, 5),
    separation=st.sampled_from([700.0, 1000.0, 1200.0]),
)
def test_relaxations_match_brute_force(points, k, separation):
    """In a 1.2 km square few pilots fit far apart: the advice is the brute-force answer."""
    xy = np.array(points, dtype=float) * 10.0
    coverage, areas = plan_instance(xy, residents=[100.0] * len(xy), gap=[0.5] * len(xy))
    ask = params(k=min(k, len(xy)), min_separation_m=separation)
    feasible = _brute_force(xy, None, k=ask.k, separation_m=separation)
    event("feasible" if feasible else "infeasible")
    if feasible:
        assert len(select_pilots(coverage, areas, ask).best.picks) == ask.k
        return
    with pytest.raises(PlanInfeasible) as caught:
        select_pilots(coverage, areas, ask)
    most = max(m for m in range(1, ask.k) if _brute_force(xy, None, k=m, separation_m=separation))
    widest = max(_min_apart(xy, list(c)) for c in itertools.combinations(range(len(xy)), ask.k))
    assert caught.value.max_k == most
    assert caught.value.max_separation_m == pytest.approx(widest, abs=1e-5)
    metres = math.floor(widest / 10) * 10 if widest >= 1000 else math.floor(widest)
    shown = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    assert caught.value.message.endswith(f"; lower k to {most} or the separation to {shown}")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"k": 0}, "k: expected a whole number from 1 to 10, got 0"),
        ({"k": 11}, "k: expected a whole number from 1 to 10, got 11"),
        ({"k": 2.5}, "k: expected a whole number from 1 to 10, got 2.5"),
        ({"k": True}, "k: expected a whole number from 1 to 10, got True"),
        ({"level": "lsoa"}, "level: expected one of area, ward, got 'lsoa'"),
        ({"min_separation_m": -1}, "min_separation_m: expected a number of metres from 0 to 20000, got -1"),
        ({"min_separation_m": math.nan}, "min_separation_m: expected a number of metres from 0 to 20000"),
        ({"min_separation_m": "2km"}, "min_separation_m: expected a number of metres from 0 to 20000"),
        ({"no_adjacent": "yes"}, "no_adjacent: expected true or false, got 'yes'"),
        ({"programme_mode": "skip"}, "programme_mode: expected one of ignore, exclude, fixed, got 'skip'"),
        ({"alternatives": 11}, "alternatives: expected a whole number from 0 to 10, got 11"),
        ({"reach_m": 0}, "reach_m: expected a number of metres more than 0 to 10000, got 0"),
        ({"time_limit_s": 0}, "time_limit_s: expected a number of seconds more than 0 to 600, got 0"),
    ],
)
def test_invalid_parameters(change, message):
    with pytest.raises(InvalidInput) as caught:
        PilotParams(**change)
    assert caught.value.message.startswith(message)
    assert caught.value.status == 400


def test_unknown_programme_ward(line):
    with pytest.raises(InvalidInput, match="programme_wards: W9 is not a ward of this coverage"):
        select_pilots(*line, params(k=1, programme_mode="fixed"), programme_wards=["W3", "W9"])


def test_areas_must_match_the_coverage(line):
    coverage, areas = line
    with pytest.raises(InvalidInput, match="areas: no pw_lon column"):
        select_pilots(coverage, areas.drop(columns="pw_lon"), params(k=1))
    with pytest.raises(InvalidInput, match="areas: A05 is in the coverage but not among the small areas"):
        select_pilots(coverage, areas.iloc[:5], params(k=1))


def test_result_does_not_depend_on_row_order(line):
    coverage, areas = line
    shuffled = areas.iloc[::-1].reset_index(drop=True)
    assert codes(select_pilots(coverage, shuffled, params(k=2)).best) == {"A05", "A01"}


def test_to_rows(line):
    plan = select_pilots(*line, params(k=1, alternatives=1, programme_mode="fixed"), programme_wards=["W1"])
    rows = plan.to_rows()
    assert [(r["portfolio"], r["role"], r["code"]) for r in rows] == [
        (1, "new", "A05"),
        (1, "fixed", "A01"),
        (1, "fixed", "A00"),
        (2, "new", "A02"),
        (2, "fixed", "A01"),
        (2, "fixed", "A00"),
    ]
    assert rows[0]["status"] == "optimal" and rows[0]["portfolio_value"] == pytest.approx(60.0)
    assert rows[0]["areas"] == "A05" and rows[0]["level"] == "area"


def _brute_force(
    xy: np.ndarray,
    value: np.ndarray | None,
    *,
    k: int,
    separation_m: float,
    reach_m: float = 0.0,
) -> list[tuple[float, tuple[int, ...]]]:
    """Every allowed set of k candidates with its worth, best first."""
    xy = np.asarray(xy, dtype=float)
    apart = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    out = []
    for combo in itertools.combinations(range(len(xy)), k):
        if k > 1 and min(apart[a, b] for a, b in itertools.combinations(combo, 2)) < separation_m - 1e-6:
            continue
        reached = (apart[list(combo)] <= reach_m + 1e-6).any(axis=0)
        out.append((float(value[reached].sum()) if value is not None else 0.0, combo))
    return sorted(out, key=lambda t: -t[0])


def _min_apart(xy: np.ndarray, members: list[int]) -> float:
    pts = np.asarray(xy, dtype=float)[members]
    if len(pts) < 2:
        return math.inf
    return min(float(np.hypot(*(pts[a] - pts[b]))) for a, b in itertools.combinations(range(len(pts)), 2))
