"""Static map images for printed reports: a ward, its small areas shaded by gap score, its assets.

Drawn with matplotlib (the Agg backend, chosen explicitly; no display, no basemap, no network) in
the coverage result's measuring CRS, so distances on the page are true. Takes frames, returns PNG
bytes; every figure is closed before returning.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import geopandas as gpd
import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from assetmap import taxonomy
from assetmap.coverage import CoverageResult
from assetmap.errors import NotFound

# GeoPandas imports pyplot when it plots: make sure that never picks a GUI backend on a server.
matplotlib.use("Agg")

GAP_CMAP = "cividis"  # sequential, perceptually uniform, readable with colour-vision deficiency
# Okabe & Ito's colour-blind-safe palette with distinct marker shapes, by taxonomy position, so
# categories never depend on colour alone.
_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#FFFFFF", "#999999")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "p", "<", ">")
# Where the map and the colour bar sit in the figure (left, bottom, width, height); the legend
# takes the strip below the map.
_MAP_BOX = (0.0, 0.14, 0.84, 0.86)
_COLOURBAR_BOX = (0.87, 0.24, 0.025, 0.66)


def category_style(category: str) -> tuple[str, str]:
    """Marker and fill colour for a taxonomy category (stable: by its position in the taxonomy).

    >>> category_style(next(iter(taxonomy.categories())))
    ('o', '#E69F00')
    """
    position = list(taxonomy.categories()).index(category)
    return _MARKERS[position % len(_MARKERS)], _COLOURS[position % len(_COLOURS)]


def ward_map_png(
    result: CoverageResult,
    code: str,
    assets: gpd.GeoDataFrame,
    *,
    labels: Sequence[str] = (),
    width_in: float = 7.0,
    height_in: float = 4.8,
    dpi: int = 150,
) -> bytes:
    """A PNG map of ward ``code``.

    Parameters
    ----------
    result
        City-wide coverage: the ward's areas are shaded by ``gap_score`` on the city's range, so
        colours mean the same on every ward's map.
    code
        The ward to draw; neighbouring wards are outlined for context.
    assets
        Asset points (WGS84) with a ``category`` column: those inside the ward are drawn solid,
        those nearby (in view) faded.
    labels
        Codes of small areas to number on the map (1, 2, ... in this order), e.g. the most
        under-served ones listed beside the map.
    width_in, height_in, dpi
        Image size in inches and resolution.

    Raises
    ------
    NotFound
        When ``result`` has no ward ``code``.
    """
    crs = result.crs
    wards = result.wards.to_crs(crs)
    ward = wards[wards["code"] == code]
    if ward.empty:
        raise NotFound(f"There is no ward with code {code!r}.")
    areas = result.areas[result.areas["ward_code"] == code].to_crs(crs)
    points = assets.to_crs(crs) if len(assets) else gpd.GeoDataFrame(geometry=[], crs=crs)
    norm = Normalize(*_score_range(result))

    def draw(fig: Figure, ax: Axes, aspect: float) -> None:
        _draw(ax, ward=ward, others=wards[wards["code"] != code], areas=areas, norm=norm, aspect=aspect)
        in_ward = _draw_assets(ax, points, ward.geometry.iloc[0])
        _number_areas(ax, areas, labels)
        _legend(fig, in_ward, has_missing=bool(areas["gap_score"].isna().any()))

    return _map_png(draw, norm, width_in=width_in, height_in=height_in, dpi=dpi)


def _map_png(
    draw: Callable[[Figure, Axes, float], None],
    norm: Normalize,
    *,
    width_in: float,
    height_in: float,
    dpi: int,
) -> bytes:
    """A PNG of a map drawn by ``draw(fig, ax, aspect)`` beside a gap-score colour bar on ``norm``.

    A Figure with its own Agg canvas, not pyplot: no global figure registry to leak into, and safe
    in a threaded server. Cleared when done so nothing outlives the call.
    """
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    try:
        ax = fig.add_axes(_MAP_BOX)
        cax = fig.add_axes(_COLOURBAR_BOX)
        aspect = (_MAP_BOX[2] * width_in) / (_MAP_BOX[3] * height_in)  # the map frame's width ÷ height
        draw(fig, ax, aspect)
        fig.colorbar(ScalarMappable(norm=norm, cmap=GAP_CMAP), cax=cax).set_label(
            "Gap score (higher = more under-served)"
        )
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    finally:
        fig.clear()
    return buffer.getvalue()


def _score_range(result: CoverageResult) -> tuple[float, float]:
    scores = result.areas["gap_score"].dropna()
    if scores.empty or scores.min() == scores.max():
        return 0.0, 1.0
    return float(scores.min()), float(scores.max())


def _draw(
    ax: Axes,
    *,
    ward: gpd.GeoDataFrame,
    others: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    norm: Normalize,
    aspect: float,
) -> None:
    min_x, min_y, max_x, max_y = ward.total_bounds
    others.boundary.plot(ax=ax, color="#9a9a9a", linewidth=0.6)
    missing = areas[areas["gap_score"].isna()]
    scored = areas[areas["gap_score"].notna()]
    if len(scored):
        scored.plot(ax=ax, column="gap_score", cmap=GAP_CMAP, norm=norm, edgecolor="white", linewidth=0.5)
    if len(missing):
        missing.plot(ax=ax, color="#e0e0e0", hatch="///", edgecolor="#7a7a7a", linewidth=0.5)
    ward.boundary.plot(ax=ax, color="black", linewidth=1.6)
    x0, y0, x1, y1 = fit_extent((min_x, min_y, max_x, max_y), aspect)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    length = _scale_length(max_x - min_x)
    ax.add_artist(
        AnchoredSizeBar(
            ax.transData,
            length,
            f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m",
            "lower left",
            pad=0.4,
            frameon=True,
            size_vertical=length / 40,
        )
    )


def fit_extent(
    bounds: tuple[float, float, float, float], aspect: float, *, pad: float = 0.06
) -> tuple[float, float, float, float]:
    """``bounds`` with a margin, widened in one direction to the frame's width ÷ height ``aspect``.

    The map then fills its frame at true scale, showing more of the surroundings.

    >>> fit_extent((0, 0, 100, 100), 2.0, pad=0.0)
    (-50.0, 0.0, 150.0, 100.0)
    """
    min_x, min_y, max_x, max_y = bounds
    margin = pad * max(max_x - min_x, max_y - min_y, 1.0)
    width, height = max_x - min_x + 2 * margin, max_y - min_y + 2 * margin
    width, height = max(width, height * aspect), max(height, width / aspect)
    cx, cy = (min_x + max_x) / 2, (min_y + max_y) / 2
    return (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def _scale_length(width_m: float) -> float:
    """A round scale-bar length near a quarter of the width.

    >>> _scale_length(4000), _scale_length(900)
    (1000.0, 200.0)
    """
    target = max(width_m / 4, 1.0)
    for step in (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if step >= target * 0.8:
            return float(step)
    return 10000.0


def _draw_assets(ax: Axes, points: gpd.GeoDataFrame, ward_shape: object) -> list[str]:
    """Plot assets by category; returns the categories drawn inside the ward, in taxonomy order."""
    if points.empty:
        return []
    inside = points.geometry.covered_by(ward_shape)
    drawn = []
    for category in taxonomy.categories():
        mine = points[points["category"] == category]
        if mine.empty:
            continue
        marker, colour = category_style(category)
        for subset, alpha in ((mine[~inside[mine.index]], 0.35), (mine[inside[mine.index]], 1.0)):
            if len(subset):
                ax.scatter(
                    subset.geometry.x,
                    subset.geometry.y,
                    marker=marker,
                    s=34,
                    c=colour,
                    edgecolors="black",
                    linewidths=0.7,
                    alpha=alpha,
                    zorder=3,
                )
        if inside[mine.index].any():
            drawn.append(category)
    return drawn


def _number_areas(ax: Axes, areas: gpd.GeoDataFrame, codes: Sequence[str]) -> None:
    for number, code in enumerate(codes, start=1):
        shape = areas[areas["code"] == code]
        if shape.empty:
            continue
        point = shape.geometry.iloc[0].representative_point()
        ax.annotate(
            str(number),
            (point.x, point.y),
            ha="center",
            va="center",
            fontsize=9,
            fontweight="bold",
            zorder=4,
            bbox={
                "boxstyle": "circle,pad=0.25",
                "facecolor": "white",
                "edgecolor": "black",
                "linewidth": 0.8,
            },
        )


def _legend(fig: Figure, categories: list[str], *, has_missing: bool) -> None:
    labels = taxonomy.categories()
    handles: list[Line2D | Patch] = []
    for category in categories:
        marker, colour = category_style(category)
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                linestyle="",
                markerfacecolor=colour,
                markeredgecolor="black",
                markersize=7,
                label=labels[category].label,
            )
        )
    handles.append(Line2D([], [], color="black", linewidth=1.6, label="Ward boundary"))
    if has_missing:
        handles.append(Patch(facecolor="#e0e0e0", hatch="///", edgecolor="#7a7a7a", label="No gap score"))
    fig.legend(
        handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False, bbox_to_anchor=(0.45, 0.0)
    )


def plan_map_png(
    result: CoverageResult,
    *,
    level: str,
    picks: Sequence[str],
    reached: Sequence[str],
    fixed: Sequence[str] = (),
    width_in: float = 7.0,
    height_in: float = 5.6,
    dpi: int = 150,
) -> bytes:
    """A PNG map of the whole city with a pilot plan: small areas by gap score, pilots numbered.

    Parameters
    ----------
    result
        City-wide coverage (areas shaded by ``gap_score`` on the city's range).
    level
        ``"area"`` when ``picks`` and ``fixed`` are small-area codes, ``"ward"`` for ward codes.
    picks
        The new pilots, numbered 1, 2, ... in this order and outlined in black.
    reached
        Small areas the pilots reach (drawn with a white hatch over their shade).
    fixed
        Pilots kept from the programme, outlined dashed.
    """
    crs = result.crs
    wards = result.wards.to_crs(crs)
    areas = result.areas.to_crs(crs)
    places = wards if level == "ward" else areas
    norm = Normalize(*_score_range(result))

    def draw(fig: Figure, ax: Axes, aspect: float) -> None:
        _draw(ax, ward=wards.dissolve(), others=wards, areas=areas, norm=norm, aspect=aspect)
        hit = areas[areas["code"].isin(list(reached))]
        if len(hit):
            hit.plot(ax=ax, facecolor="none", hatch="....", edgecolor="white", linewidth=0.0)
        kept = places[places["code"].isin(list(fixed))]
        if len(kept):
            kept.boundary.plot(ax=ax, color="black", linewidth=1.4, linestyle="--")
        chosen = places[places["code"].isin(list(picks))]
        if len(chosen):
            chosen.boundary.plot(ax=ax, color="white", linewidth=3.4)
            chosen.boundary.plot(ax=ax, color="black", linewidth=1.8)
        _number_areas(ax, places, picks)
        handles: list[Line2D | Patch] = [
            Line2D([], [], color="black", linewidth=1.8, label="New pilot (numbered)"),
            Patch(facecolor="#777777", hatch="....", edgecolor="white", label="Small area reached"),
        ]
        if len(kept):
            handles.append(
                Line2D([], [], color="black", linewidth=1.4, linestyle="--", label="Kept programme ward")
            )
        fig.legend(
            handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False, bbox_to_anchor=(0.45, 0.0)
        )

    return _map_png(draw, norm, width_in=width_in, height_in=height_in, dpi=dpi)
