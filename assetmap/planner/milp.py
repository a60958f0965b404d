"""Exact maximal covering with PuLP and CBC: the one module of the planner that talks to a solver.

A covering problem has *candidates* (places a pilot or a new asset could go) and *demand rows*
(small areas, each worth a weight). Choosing a candidate reaches some rows; a row counts once
however many chosen candidates reach it (``y_j ≤ Σ x_i`` over the candidates reaching row ``j``:
the maximal covering location problem of Church & ReVelle, 1974). Candidates that may not be
chosen together (too close, or adjacent) come as *cliques*, sets of which at most one may be
chosen. Pairwise rows ``x_i + x_l ≤ 1`` say the same, but their linear relaxation is so weak that
CBC needs seconds (Leicester, 3 km apart: 6 s, and over 30 s for 8 pilots) where the clique rows
that :func:`clique_cover` builds need milliseconds.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pulp
from scipy import sparse

from assetmap.errors import InvalidInput


@dataclass(frozen=True)
class Covering:
    """A maximal covering instance with ``n`` candidates and ``m`` demand rows.

    Attributes
    ----------
    weights
        ``(m,)`` value of reaching each row, ≥ 0.
    reach
        ``(m, n)`` sparse boolean matrix: row ``j`` is reached by candidate ``i``.
    allowed
        ``(n,)`` booleans: the candidates that may be chosen.
    cliques
        Index arrays of candidates of which at most one may be chosen.
    """

    weights: np.ndarray
    reach: sparse.csr_matrix
    allowed: np.ndarray
    cliques: tuple[np.ndarray, ...] = ()

    def reached(self, chosen: Sequence[int]) -> np.ndarray:
        """Booleans over the rows: reached by at least one of ``chosen``."""
        return np.asarray(self.reach[:, list(chosen)].sum(axis=1)).ravel() > 0

    def value(self, chosen: Sequence[int]) -> float:
        """Total weight of the rows ``chosen`` reach, each row once."""
        return float(self.weights[self.reached(chosen)].sum())


@dataclass(frozen=True)
class Solution:
    """The candidates a solve chose, their value and how sure the solver is."""

    chosen: tuple[int, ...]
    objective: float
    optimal: bool
    gap: float | None  # relative gap to the best bound when stopped at the time limit; None if unknown
    seconds: float

    @property
    def status(self) -> str:
        """``"optimal"``, or ``"stopped at time limit, gap 1.2 %"``."""
        if self.optimal:
            return "optimal"
        if self.gap is None:
            return "stopped at time limit, gap unknown"
        return f"stopped at time limit, gap {100 * self.gap:.1f} %"


class CoveringModel:
    """A PuLP model of a :class:`Covering` choosing ``k`` candidates (exactly, or at most).

    :meth:`forbid` adds a no-good cut, so solving again gives the best *other* choice.
    """

    def __init__(self, covering: Covering, k: int, *, exactly: bool) -> None:
        self.covering = covering
        self.k = k
        self.exactly = exactly
        self.allowed = np.flatnonzero(covering.allowed)
        self.problem = pulp.LpProblem("covering", pulp.LpMaximize)
        x = {int(i): self.problem.add_variable(f"x{i}", 0, 1, cat=pulp.LpBinary) for i in self.allowed}
        self.x = x
        reach = covering.reach[:, self.allowed].tocsr()
        useful = np.flatnonzero((covering.weights > 0) & (np.diff(reach.indptr) > 0))
        y = {int(j): self.problem.add_variable(f"y{j}", 0, 1) for j in useful}
        self.problem += pulp.LpAffineExpression((y[j], float(covering.weights[j])) for j in y)
        for j, reached in y.items():
            by = self.allowed[reach.indices[reach.indptr[j] : reach.indptr[j + 1]]]
            self.problem += pulp.LpAffineExpression([(reached, 1), *((x[int(i)], -1) for i in by)]) <= 0
        chosen = pulp.lpSum(x.values())
        self.problem += (chosen == k) if exactly else (chosen <= k)
        for clique in covering.cliques:
            members = [x[int(i)] for i in clique if int(i) in x]
            if len(members) > 1:
                self.problem += pulp.lpSum(members) <= 1

    def forbid(self, chosen: Sequence[int]) -> None:
        """Refuse this exact choice from now on (its members may still appear in other choices)."""
        self.problem += pulp.lpSum(self.x[int(i)] for i in chosen) <= len(chosen) - 1

    def solve(self, time_limit_s: float) -> Solution | None:
        """The best choice, or None when no choice meets the constraints.

        Raises
        ------
        InvalidInput
            When the time limit passes before the solver finds any choice at all.
        """
        start = time.perf_counter()
        if self.exactly and len(self.allowed) < self.k:
            return None
        fd, log_path = tempfile.mkstemp(prefix="assetmap-cbc-", suffix=".log")
        os.close(fd)
        try:
            status = self.problem.solve(_cbc(time_limit_s, log_path))
            with open(log_path, encoding="utf-8", errors="replace") as log:
                gap = _gap_from_log(log.read())
        finally:
            os.unlink(log_path)
        if status == pulp.LpStatusInfeasible:
            return None
        if status != pulp.LpStatusOptimal:
            raise InvalidInput(
                f"the solver found no solution within its time limit of {time_limit_s:g} s; "
                "ask for fewer, or less constrained, choices"
            )
        chosen = tuple(int(i) for i, var in self.x.items() if (var.value() or 0.0) > 0.5)
        optimal = self.problem.sol_status == pulp.LpSolutionOptimal
        return Solution(
            chosen=chosen,
            objective=self.covering.value(chosen),
            optimal=optimal,
            gap=0.0 if optimal else gap,
            seconds=time.perf_counter() - start,
        )


def _cbc(time_limit_s: float, log_path: str) -> pulp.LpSolver:
    """CBC, to prove optimality (no gap allowed) unless ``time_limit_s`` of wall time pass first.

    The CBC binary bundled with PuLP where there is one (PuLP 3), else ``cbc`` on the PATH (as
    ``pip install pulp[cbc]`` gives for PuLP 4).
    """
    bundled = getattr(pulp, "PULP_CBC_CMD", None)
    path = getattr(bundled, "pulp_cbc_path", None)
    return pulp.COIN_CMD(
        path=path if path and os.path.exists(path) else None,
        msg=False,
        timeLimit=time_limit_s,
        gapRel=0,
        timeMode="elapsed",
        logPath=log_path,
    )


def _gap_from_log(log: str) -> float | None:
    """Relative gap between CBC's best solution and its best bound, from its log.

    >>> _gap_from_log("Objective value:   90.0\\nUpper bound:   99.0\\nGap: -0.1")
    0.1
    >>> _gap_from_log("No feasible solution found") is None
    True
    """
    found = re.search(r"Objective value:\s*(\S+)", log)
    bound = re.search(r"(?:Upper|Lower) bound:\s*(\S+)", log)
    if not found or not bound:
        return None
    try:
        value, best = float(found.group(1)), float(bound.group(1))
    except ValueError:
        return None
    if not (math.isfinite(value) and math.isfinite(best)):
        return None
    return round(abs(best - value) / max(abs(value), 1e-9), 12)


def most_choosable(
    allowed: np.ndarray, cliques: Sequence[np.ndarray], *, cap: int, time_limit_s: float
) -> int:
    """How many of the ``allowed`` candidates can be chosen together, up to ``cap``.

    The largest independent set of the conflict graph the cliques describe, by MILP.
    """
    n = len(allowed)
    count = Covering(np.ones(n), sparse.identity(n, dtype=bool, format="csr"), allowed, tuple(cliques))
    solution = CoveringModel(count, cap, exactly=False).solve(time_limit_s)
    return len(solution.chosen) if solution is not None else 0


def clique_cover(conflict: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cliques of the conflict graph that together cover every conflicting pair.

    Each clique grows greedily from a pair not covered yet, adding the common neighbour nearest
    the pair's midpoint while one is left, so cliques are compact groups of nearby candidates.

    Parameters
    ----------
    conflict
        ``(n, n)`` symmetric boolean matrix, False on the diagonal.
    xy
        ``(n, 2)`` candidate positions in metres.

    >>> line = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    >>> [c.tolist() for c in clique_cover(np.abs(line[:, None, 0] - line[None, :, 0]) == 1, line)]
    [[0, 1], [1, 2]]
    """
    uncovered = np.triu(conflict, 1)
    cliques: list[np.ndarray] = []
    for i, j in zip(*np.nonzero(uncovered), strict=True):
        if not uncovered[i, j]:
            continue
        members = [int(i), int(j)]
        common = conflict[i] & conflict[j]
        to_mid = np.hypot(*(xy - (xy[i] + xy[j]) / 2).T)
        while common.any():
            options = np.flatnonzero(common)
            nearest = int(options[np.argmin(to_mid[options])])
            members.append(nearest)
            common &= conflict[nearest]
        clique = np.array(sorted(members))
        uncovered[np.ix_(clique, clique)] = False
        cliques.append(clique)
    return tuple(cliques)
