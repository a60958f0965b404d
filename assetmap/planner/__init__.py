"""The pilot planner and what-if: where to start, and what a new place would change.

Pure functions over a coverage result and the frames it came from, no I/O. ``params`` checks what a
request may ask for; ``milp`` is the one place that talks to the solver (PuLP with CBC), building
exact maximal covering models; ``places`` measures in metres; ``pilots`` chooses k pilot wards or
small areas and explains each pick; ``whatif`` recomputes coverage with hypothetical assets and
reports the change; ``sites`` finds the best k new sites for a category. ``docs/planner.md`` has
the models and the choices behind them.
"""

from __future__ import annotations

from assetmap.planner.params import PilotParams, SiteParams
from assetmap.planner.pilots import Pick, PilotPlan, PlanInfeasible, Portfolio, select_pilots
from assetmap.planner.sites import Site, SiteSuggestion, suggest_sites
from assetmap.planner.whatif import NewAsset, WhatIf, what_if

__all__ = [
    "NewAsset",
    "Pick",
    "PilotParams",
    "PilotPlan",
    "PlanInfeasible",
    "Portfolio",
    "Site",
    "SiteParams",
    "SiteSuggestion",
    "WhatIf",
    "select_pilots",
    "suggest_sites",
    "what_if",
]
