"""Reference implementations the coverage engine is timed and checked against.

:func:`geopandas_counts_nearest` is the straightforward GeoPandas way to get counts within a walk
and nearest distances (buffer + ``sjoin``, ``sjoin_nearest``, one category at a time).
:func:`pysal_two_stage_fca` runs PySAL ``access``'s 2SFCA on a cost table. ``bench/coverage.py``
times both; ``tests/coverage`` checks the engine's numbers against them.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from access import Access

from assetmap.coverage import CoverageParams
from assetmap.geo import BNG, WGS84


def geopandas_counts_nearest(
    areas: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, categories: Sequence[str], params: CoverageParams
) -> pd.DataFrame:
    """``n_within_<c>`` and ``dist_m_<c>`` per area code, for each category and "any".

    Demand points are the population-weighted points (``pw_lon``/``pw_lat``); everything is
    measured in British National Grid. The buffer is shapely's default 64-gon, which lies inside
    the true circle, so an asset within a few centimetres of the radius can be missed.
    """
    demand = gpd.GeoDataFrame(
        {"code": areas["code"].to_numpy()},
        geometry=gpd.points_from_xy(areas["pw_lon"], areas["pw_lat"]),
        crs=WGS84,
    ).to_crs(BNG)
    supply = assets.loc[assets["category"].isin(categories), ["category", "geometry"]].to_crs(BNG)
    buffers = demand.set_geometry(demand.buffer(params.radius_m))
    out = pd.DataFrame(index=pd.Index(demand["code"], name="code"))
    for cat in (*categories, "any"):
        members = supply if cat == "any" else supply[supply["category"] == cat]
        if members.empty:
            out[f"n_within_{cat}"], out[f"dist_m_{cat}"] = 0, np.inf
            continue
        hits = gpd.sjoin(buffers, members[["geometry"]], predicate="intersects")
        out[f"n_within_{cat}"] = hits.groupby("code").size().reindex(out.index, fill_value=0)
        near = gpd.sjoin_nearest(demand, members[["geometry"]], distance_col="dist")
        out[f"dist_m_{cat}"] = near.groupby("code")["dist"].min().reindex(out.index)
    return out


def pysal_two_stage_fca(
    cost: pd.DataFrame, demand: pd.Series, supply: pd.Series, *, max_cost: float
) -> pd.Series:
    """PySAL ``access`` 2SFCA per demand id (NaN where no supply is in reach).

    ``cost`` has columns ``origin`` (demand id), ``dest`` (supply id) and ``cost``; ``demand``
    and ``supply`` are indexed by those ids.
    """
    model = Access(
        demand_df=demand.rename("demand").rename_axis("origin").to_frame(),
        demand_index=True,
        demand_value="demand",
        supply_df=supply.rename("supply").rename_axis("dest").to_frame(),
        supply_index=True,
        supply_value="supply",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    return model.two_stage_fca(name="fca", max_cost=max_cost)["fca_supply"].reindex(demand.index)
