"""Need index, gap score and their explanation (assetmap.coverage.need)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetmap.coverage.need import (
    FACTOR_LABELS,
    explain,
    explain_all,
    gap_scores,
    need_factors,
    percentile_scale,
)
from assetmap.coverage.params import NEED_FACTORS, CoverageParams

CONTRIBUTIONS = [f"c_{f}" for f in (*NEED_FACTORS, "distance", "catchment")]


def test_percentile_scale_shares_tied_ranks_and_keeps_missing():
    # Ranks 1, 2.5, 2.5, 4 of four valid values -> (rank - 1) / 3.
    out = percentile_scale(pd.Series([1.0, 5.0, 5.0, 9.0, None]))
    assert out.tolist()[:4] == pytest.approx([0.0, 0.5, 0.5, 1.0])
    assert math.isnan(out.iloc[4])


def test_percentile_scale_puts_inf_above_every_finite_value():
    assert percentile_scale(pd.Series([np.inf, 3.0, 1.0])).tolist() == [1.0, 0.5, 0.0]


@pytest.mark.parametrize(("values", "expected"), [([], []), ([None, None], [None, None]), ([7.0], [0.5])])
def test_percentile_scale_with_fewer_than_two_values(values, expected):
    out = percentile_scale(pd.Series(values, dtype=float))
    assert [None if math.isnan(v) else v for v in out] == expected


def test_need_factors_leaves_age75_share_missing_when_nobody_is_50_plus():
    areas = pd.DataFrame(
        {
            "residents_50plus": [200.0, 0.0, None],
            "residents_75plus": [50.0, 0.0, 3.0],
            "idaopi_score": [0.2, 0.3, 0.4],
            "loneliness": [20.0, None, 30.0],
            "imd_score": [10.0, 20.0, 30.0],
        }
    )
    factors = need_factors(areas)
    assert factors.columns.tolist() == list(NEED_FACTORS)
    assert factors["age75_share"].iloc[0] == 0.25
    assert factors["age75_share"].iloc[1:].isna().all()


def _zoo_gap(gap_weights=None) -> pd.DataFrame:
    # The zoo's four areas (see conftest): need factors, walk to the nearest asset and 2SFCA per 1000.
    factors = pd.DataFrame(
        {
            "idaopi": [0.1, 0.4, 0.2, 0.3],
            "loneliness": [20.0, 30.0, None, 25.0],
            "imd": [10.0, 40.0, 20.0, 30.0],
            "age75_share": [0.1, 0.3, 0.4, None],
        }
    )
    params = CoverageParams()
    return gap_scores(
        factors,
        walk_minutes=pd.Series([5.0, 7.5, 8.75, 8.0]),
        access=pd.Series([12.5, 35 / 6, 5.0, 0.0]),
        need_weights=params.need_weights,
        gap_weights=gap_weights or params.gap_weights,
    )


def test_gap_scores_by_hand():
    out = _zoo_gap()
    # Scaled: idaopi 0, 1, 1/3, 2/3; loneliness 0, 1, -, 1/2; imd 0, 1, 1/3, 2/3; age75 0, 1/2, 1, -.
    assert out["s_loneliness"].tolist()[:2] + out["s_loneliness"].tolist()[3:] == [0.0, 1.0, 0.5]
    # Need = weighted mean over the factors present (weights .35 .25 .25 .15):
    # A2 = .35 + .25 + .25 + .15 * .5 = .925; A3 = (.35/3 + .25/3 + .15) / .75 = .35 / .75;
    # A4 = (.35 * 2/3 + .25 * .5 + .25 * 2/3) / .85 = .525 / .85.
    assert out["need_index"].tolist() == pytest.approx([0.0, 0.925, 0.35 / 0.75, 0.525 / 0.85])
    # Walks 5, 7.5, 8.75, 8 rank 1, 2, 4, 3; access 12.5, 5.83, 5, 0 rank 4, 3, 2, 1 (deficit = 1 - scale).
    assert out["deficit_distance"].tolist() == pytest.approx([0.0, 1 / 3, 1.0, 2 / 3])
    assert out["deficit_catchment"].tolist() == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    # Gap = .5 need + .25 distance + .25 catchment.
    assert out["gap_score"].tolist() == pytest.approx(
        [
            0.0,
            0.4625 + 0.25 / 3 + 0.25 / 3,
            0.5 * 0.35 / 0.75 + 0.25 + 0.25 * 2 / 3,
            0.5 * 0.525 / 0.85 + 0.25 * 2 / 3 + 0.25,
        ]
    )
    # A2's need contributions: .5 * (.35, .25, .25, .075).
    assert out.loc[1, ["c_idaopi", "c_loneliness", "c_imd", "c_age75_share"]].tolist() == pytest.approx(
        [0.175, 0.125, 0.125, 0.0375]
    )
    assert out[CONTRIBUTIONS].sum(axis=1).tolist() == pytest.approx(out["gap_score"].tolist())


def test_gap_weights_are_normalised():
    pd.testing.assert_frame_equal(_zoo_gap({"need": 2, "distance": 1, "catchment": 1}), _zoo_gap())


def test_gap_score_is_missing_when_no_need_factor_is_known():
    factors = pd.DataFrame({f: [None, 1.0, 2.0] for f in NEED_FACTORS}, dtype=float)
    params = CoverageParams()
    out = gap_scores(
        factors,
        walk_minutes=pd.Series([1.0, 2.0, 3.0]),
        access=pd.Series([1.0, 2.0, 3.0]),
        need_weights=params.need_weights,
        gap_weights=params.gap_weights,
    )
    assert out["need_index"].isna().tolist() == [True, False, False]
    assert out["gap_score"].isna().tolist() == [True, False, False]
    assert out.loc[0, CONTRIBUTIONS].isna().all()  # so ward means of c_* skip it like gap_score


def test_explain_names_the_three_largest_contributions():
    row = {
        "c_idaopi": 0.2,
        "c_loneliness": 0.05,
        "c_imd": 0.0,
        "c_age75_share": float("nan"),
        "c_distance": 0.1,
        "c_catchment": 0.07,
    }
    assert explain(row) == (
        "older people's income deprivation (IDAOPI) (0.20), walk to the nearest asset (0.10), "
        "few assets for the number of over-50s nearby (2SFCA) (0.07)"
    )
    assert explain(row, top=1) == "older people's income deprivation (IDAOPI) (0.20)"


@pytest.mark.parametrize(
    "row", [{}, dict.fromkeys(CONTRIBUTIONS, 0.0), dict.fromkeys(CONTRIBUTIONS, float("nan"))]
)
def test_explain_with_nothing_positive(row):
    assert explain(row) == "no factor stands out"


def _sentence(row: dict, top: int) -> str:
    """What explain_all should say for one row, written the plain way: sort, then format each."""
    parts = [(row[f"c_{f}"], f) for f in FACTOR_LABELS if row.get(f"c_{f}") is not None]
    ranked = sorted(((v, f) for v, f in parts if v > 0), reverse=True)[:top]
    return ", ".join(f"{FACTOR_LABELS[f]} ({v:.2f})" for v, f in ranked) or "no factor stands out"


def test_explain_all_rounds_like_python_formatting():
    # Halves of a hundredth: 0.125 is exact in binary and rounds to even (0.12); the binary values of
    # 0.145, 0.995 and 1.005 lie just below the half (0.14, 0.99, 1.00), those of 0.335, 0.675 and
    # 12.345 just above it (0.34, 0.68, 12.35). For 0.005 and 0.015, rint(v * 100) alone goes wrong.
    values = [0.125, 0.145, 0.995, 1.005, 0.335, 0.675, 12.345, 0.005, 0.015, 1e-9]
    frame = pd.DataFrame({"c_imd": values})
    said = explain_all(frame, top=1).tolist()
    assert said == [_sentence({"c_imd": v}, 1) for v in values]
    assert [s.removeprefix("overall deprivation (IMD) (")[:-1] for s in said] == [
        "0.12",
        "0.14",
        "0.99",
        "1.00",
        "0.34",
        "0.68",
        "12.35",
        "0.01",
        "0.01",
        "0.00",
    ]


contribution = st.one_of(st.none(), st.sampled_from([0.0, -0.1, 0.125, 0.25, 0.3]), st.floats(0, 1))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.fixed_dictionaries(dict.fromkeys(CONTRIBUTIONS, contribution)), max_size=8),
    top=st.integers(1, 7),
)
def test_explain_all_says_for_every_row_what_explain_says(rows, top):
    frame = pd.DataFrame(rows, columns=CONTRIBUTIONS, dtype=float)
    expected = [_sentence(row, top) for row in rows]
    assert explain_all(frame, top=top).tolist() == expected
    assert [explain(row, top=top) for row in rows] == expected


maybe = st.one_of(st.none(), st.floats(0, 100))


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(maybe, maybe, maybe, maybe, st.floats(0, 60), st.floats(0, 50)), min_size=1, max_size=12
    ),
    need_w=st.tuples(*[st.floats(0, 1)] * 4).filter(lambda w: sum(w) > 0),
    gap_w=st.tuples(*[st.floats(0, 1)] * 3).filter(lambda w: sum(w) > 0),
)
def test_scores_are_in_unit_range_and_contributions_add_up(rows, need_w, gap_w):
    frame = pd.DataFrame(rows, columns=[*NEED_FACTORS, "walk", "access"], dtype=float)
    out = gap_scores(
        frame[list(NEED_FACTORS)],
        walk_minutes=frame["walk"],
        access=frame["access"],
        need_weights=dict(zip(NEED_FACTORS, need_w, strict=True)),
        gap_weights=dict(zip(("need", "distance", "catchment"), gap_w, strict=True)),
    )
    scores = out[
        [
            *(f"s_{f}" for f in NEED_FACTORS),
            "need_index",
            "deficit_distance",
            "deficit_catchment",
            "gap_score",
        ]
    ]
    assert ((scores >= -1e-12) & (scores <= 1 + 1e-12) | scores.isna()).all().all()
    known = out["gap_score"].notna()
    assert out.loc[known, CONTRIBUTIONS].sum(axis=1).to_numpy() == pytest.approx(
        out.loc[known, "gap_score"].to_numpy()
    )
