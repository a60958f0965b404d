"""The solver layer (assetmap.planner.milp): clique covers, small models by hand, status texts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from assetmap.planner.milp import Covering, CoveringModel, Solution, clique_cover, most_choosable


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 9).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.booleans(), min_size=n * n, max_size=n * n),
            st.lists(st.floats(0, 1000), min_size=2 * n, max_size=2 * n),
        )
    )
)
def test_clique_cover_covers_every_conflict_with_cliques(graph):
    n, bits, coords = graph
    upper = np.triu(np.array(bits).reshape(n, n), 1)
    conflict = upper | upper.T
    cliques = clique_cover(conflict, np.array(coords).reshape(n, 2))
    covered = np.zeros_like(conflict)
    for clique in cliques:
        assert len(clique) >= 2
        assert all(conflict[a, b] for a, b in itertools.combinations(clique, 2))  # a clique
        covered[np.ix_(clique, clique)] = True
    assert not (conflict & ~covered).any()  # every conflicting pair is in one


def test_clique_cover_of_no_conflicts_is_empty():
    assert clique_cover(np.zeros((3, 3), dtype=bool), np.zeros((3, 2))) == ()


def test_most_choosable_on_a_path():
    # The path 0-1-2-3-4: at most 3 (0, 2, 4); with 2 barred, at most 2 (one of 0, 1 and one of 3, 4).
    cliques = tuple(np.array([i, i + 1]) for i in range(4))
    assert most_choosable(np.ones(5, dtype=bool), cliques, cap=5, time_limit_s=10) == 3
    assert most_choosable(np.ones(5, dtype=bool), cliques, cap=2, time_limit_s=10) == 2
    barred = np.array([True, True, False, True, True])
    assert most_choosable(barred, cliques, cap=5, time_limit_s=10) == 2
    assert most_choosable(np.zeros(5, dtype=bool), cliques, cap=5, time_limit_s=10) == 0


def test_covering_model_by_hand_and_no_good_cuts():
    # Rows worth 5, 4, 3, 2; candidate 0 reaches rows 0 and 1, 1 reaches 1 and 2, 2 reaches 3.
    reach = sparse.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=bool))
    covering = Covering(np.array([5.0, 4.0, 3.0, 2.0]), reach, np.ones(3, dtype=bool))
    model = CoveringModel(covering, 2, exactly=True)
    first = model.solve(10)
    assert first is not None and first.chosen == (0, 1) and first.objective == 12.0  # row 1 once
    model.forbid(first.chosen)
    second = model.solve(10)
    assert second is not None and second.chosen == (0, 2) and second.objective == 11.0
    model.forbid(second.chosen)
    third = model.solve(10)
    assert third is not None and third.chosen == (1, 2) and third.objective == 9.0
    model.forbid(third.chosen)
    assert model.solve(10) is None  # every pair of three tried
    assert covering.value([0, 1, 2]) == 14.0


def test_exactly_k_with_too_few_allowed_is_infeasible():
    reach = sparse.identity(3, dtype=bool, format="csr")
    covering = Covering(np.ones(3), reach, np.array([True, False, True]))
    assert CoveringModel(covering, 3, exactly=True).solve(10) is None
    at_most = CoveringModel(covering, 3, exactly=False).solve(10)
    assert at_most is not None and at_most.chosen == (0, 2)


def test_nothing_of_value_still_chooses_k():
    covering = Covering(np.zeros(3), sparse.identity(3, dtype=bool, format="csr"), np.ones(3, dtype=bool))
    solution = CoveringModel(covering, 2, exactly=True).solve(10)
    assert solution is not None and len(solution.chosen) == 2 and solution.objective == 0.0


@pytest.mark.parametrize(
    ("optimal", "gap", "status"),
    [
        (True, 0.0, "optimal"),
        (False, 0.01234, "stopped at time limit, gap 1.2 %"),
        (False, None, "stopped at time limit, gap unknown"),
    ],
)
def test_status_text(optimal, gap, status):
    assert Solution((0,), 1.0, optimal, gap, 0.1).status == status
