"""What every map page starts from: the folium map, choropleth class breaks and the asset symbols.

The page's JavaScript (``static/js/assetmap.js``) fetches the layers from the API and draws them;
this module gives it the scaffolding and the numbers it needs: a folium ``Map`` that loads Leaflet
from the app (``/vendor/``, never a CDN) with an optional basemap, class breaks per metric from
mapclassify, a colour-blind-safe sequential palette, and each category's symbol (colour, shape,
glyph) from ``assetmap/data/map_symbols.json``. Everything here is pure apart from reading that
file; nothing imports flask.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import folium
import geopandas as gpd
import mapclassify
import numpy as np
from branca.element import Figure
from folium.elements import CssLink, JavascriptLink
from markupsafe import Markup

from assetmap import geo, taxonomy
from assetmap.errors import InvalidInput

# Viridis at five even steps, light (least concern) to dark (most concern): perceptually uniform and
# readable with every common colour-vision deficiency.
SEQUENTIAL = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
SCHEMES = {"fisher_jenks": mapclassify.FisherJenks, "quantiles": mapclassify.Quantiles}

BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat
MIN_ZOOM, MAX_ZOOM = 10, 19  # a city region down to single buildings


@dataclass(frozen=True)
class Metric:
    """A ward measure the city map can shade by.

    ``kind`` says how to format it (``rate``, ``share`` 0-1 shown as %, ``score`` 0-1);
    ``worse`` says which end means more under-served, so the darkest colour always does.
    """

    key: str
    label: str
    unit: str
    kind: str
    worse: str  # "high" or "low"


def ward_metrics(minutes: float) -> tuple[Metric, ...]:
    """The metrics of the city map's switch, first the default.

    >>> [m.key for m in ward_metrics(10)][:2]
    ['gap_score', 'assets_per_1000_50plus']
    """
    return (
        Metric("gap_score", "Gap score", "0-1, higher = more under-served", "score", "high"),
        Metric(
            "assets_per_1000_50plus",
            "Assets per 1,000 aged 50+",
            "assets per 1,000 residents aged 50+",
            "rate",
            "low",
        ),
        Metric(
            "share_50plus_within_any",
            f"Aged 50+ within {minutes:g} minutes' walk",
            f"% of residents aged 50+ within {minutes:g} minutes' walk of an asset",
            "share",
            "low",
        ),
        Metric("need_index", "Need index", "0-1, higher = more need", "score", "high"),
    )


def class_breaks(values: Iterable[float], *, k: int = 5, scheme: str = "fisher_jenks") -> list[float]:
    """Upper bounds of ``k`` classes for a choropleth (the last is the maximum).

    Missing and infinite values are left out. With fewer distinct values than ``k``, there is one
    class per distinct value; with none, no classes. A value ``v`` is in the first class whose
    bound is ``>= v``.

    Parameters
    ----------
    values
        The measure of every feature.
    k
        How many classes at most.
    scheme
        ``fisher_jenks`` (natural breaks, optimal) or ``quantiles``.

    Examples
    --------
    >>> class_breaks([1, 2, 3, 10, 11, 12], k=2)
    [3.0, 12.0]
    >>> class_breaks([0.5, 0.5, float("nan")]), class_breaks([])
    ([0.5], [])
    """
    if k < 1:
        raise InvalidInput(f"class breaks need k >= 1, got {k}")
    if scheme not in SCHEMES:
        raise InvalidInput(f"unknown classification {scheme!r}; expected one of {', '.join(SCHEMES)}")
    y = np.asarray(list(values), dtype=float)
    y = y[np.isfinite(y)]
    distinct = np.unique(y)
    if len(distinct) <= k:
        return [float(v) for v in distinct]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Numba not installed": the pure version is fine
        bins = SCHEMES[scheme](y, k=k).bins
    return [float(b) for b in np.unique(bins)]


def colours_for(n_classes: int, *, worse: str = "high") -> list[str]:
    """``n_classes`` colours from :data:`SEQUENTIAL`, lowest class first, darkest where ``worse`` is.

    >>> colours_for(2), colours_for(2, worse="low")
    (['#fde725', '#440154'], ['#440154', '#fde725'])
    """
    if worse not in ("high", "low"):
        raise InvalidInput(f"worse must be 'high' or 'low', got {worse!r}")
    if n_classes < 1:
        return []
    if n_classes == 1:
        return [SEQUENTIAL[len(SEQUENTIAL) // 2]]
    picks = np.linspace(0, len(SEQUENTIAL) - 1, n_classes).round().astype(int)
    colours = [SEQUENTIAL[i] for i in picks]
    return colours if worse == "high" else colours[::-1]


def scale(values: Iterable[float], *, worse: str = "high", k: int = 5) -> dict[str, Any]:
    """A JSON-ready colour scale: ``min``, class ``breaks`` and one colour per class.

    >>> scale([0.1, 0.2, 0.9], k=2)
    {'min': 0.1, 'breaks': [0.2, 0.9], 'colours': ['#fde725', '#440154']}
    >>> scale([])
    {'min': None, 'breaks': [], 'colours': []}
    """
    y = np.asarray(list(values), dtype=float)
    y = y[np.isfinite(y)]
    breaks = class_breaks(y, k=k)
    return {
        "min": float(y.min()) if len(y) else None,
        "breaks": breaks,
        "colours": colours_for(len(breaks), worse=worse),
    }


def metric_scales(
    rows: Mapping[str, Sequence[float]], metrics: Iterable[Metric], *, k: int = 5
) -> list[dict[str, Any]]:
    """Each metric with its scale over ``rows[metric.key]`` (the wards' values), for the page."""
    return [
        {
            "key": m.key,
            "label": m.label,
            "unit": m.unit,
            "kind": m.kind,
            "worse": m.worse,
            **scale(rows[m.key], worse=m.worse, k=k),
        }
        for m in metrics
    ]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21).

    >>> round(contrast_ratio("#000000", "#ffffff"), 1)
    21.0
    """
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``.

    >>> text_colour("#0072B2"), text_colour("#F0E442")
    ('#ffffff', '#000000')
    """
    return max(("#000000", "#ffffff"), key=lambda ink: contrast_ratio(ink, fill))


@cache
def _symbol_table() -> dict[str, dict[str, str]]:
    raw = json.loads(resources.files("assetmap.data").joinpath("map_symbols.json").read_text("utf-8"))
    table: dict[str, dict[str, str]] = raw["symbols"]
    return table


def category_symbols() -> list[dict[str, Any]]:
    """Every taxonomy category with its symbol, in taxonomy order, ready for the page.

    Each has ``id``, ``label``, ``layer`` (``asset`` counts in coverage, ``context`` does not),
    ``subcategories`` (id -> label), ``colour``, ``text`` (black or white for contrast), ``shape``
    and ``glyph``.
    """
    table = _symbol_table()
    out = []
    for cat in taxonomy.categories().values():
        symbol = table.get(cat.id, {"colour": "#999999", "shape": "circle", "glyph": cat.label[:1]})
        out.append(
            {
                "id": cat.id,
                "label": cat.label,
                "layer": cat.layer,
                "subcategories": dict(cat.subcategories),
                **symbol,
                "text": text_colour(symbol["colour"]),
            }
        )
    return out


@dataclass(frozen=True)
class MapParts:
    """A folium map split for embedding in a page: links for ``<head>``, the map's ``<div>``, its script.

    ``name`` is the JavaScript variable holding the ``L.map``.
    """

    name: str
    head: Markup
    html: Markup
    script: Markup


def latlon_bounds(bbox: BBox) -> list[list[float]]:
    """``(min_lon, min_lat, max_lon, max_lat)`` as Leaflet's ``[[south, west], [north, east]]``.

    The one place where the pages swap GeoJSON's ``[lon, lat]`` for Leaflet's ``[lat, lon]``.

    >>> latlon_bounds((-1.2, 52.6, -1.0, 52.7))
    [[52.6, -1.2], [52.7, -1.0]]
    """
    min_lon, min_lat, max_lon, max_lat = bbox
    return [[min_lat, min_lon], [max_lat, max_lon]]


def page_map(
    *,
    bbox: BBox,
    js: Sequence[tuple[str, str]],
    css: Sequence[tuple[str, str]],
    tiles: Mapping[str, str] | None = None,
) -> MapParts:
    """A folium map fitted to ``bbox``, loading only the given scripts and stylesheets.

    Parameters
    ----------
    bbox
        What to show first, in WGS84.
    js, css
        ``(name, url)`` of every script and stylesheet the map needs (the app's ``/vendor/``
        copies); they replace folium's defaults, which point at CDNs.
    tiles
        ``{"url": ..., "attribution": ...}`` for a basemap, or None for none.
    """
    if not all(math.isfinite(v) for v in bbox):
        raise InvalidInput("the map needs a finite bounding box")
    bounds = latlon_bounds(bbox)
    centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    fmap = folium.Map(location=centre, tiles=None, zoom_start=12, control_scale=True)
    fmap.options.update(min_zoom=MIN_ZOOM, max_zoom=MAX_ZOOM)  # clustering needs a maximum
    fmap.default_js = list(js)
    fmap.default_css = list(css)
    if tiles:
        folium.TileLayer(
            tiles=tiles["url"], attr=tiles["attribution"], name="Basemap", max_zoom=MAX_ZOOM, control=False
        ).add_to(fmap)
    fmap.fit_bounds(bounds)
    figure = fmap.get_root()
    if not isinstance(figure, Figure):  # folium.Map always puts itself in a Figure
        raise TypeError("folium map without a figure")
    figure.render()
    # Only the links: folium's own header also fixes the viewport scale and restyles <body>.
    links = [c for c in figure.header._children.values() if isinstance(c, JavascriptLink | CssLink)]
    return MapParts(
        name=fmap.get_name(),
        head=Markup("\n".join(link.render() for link in links)),
        html=Markup(figure.html.render()),
        script=Markup(figure.script.render()),
    )


def reach_bbox(frame: gpd.GeoDataFrame, metres: float) -> BBox:
    """The WGS84 bounds of ``frame`` grown by ``metres``, buffered in a projected CRS (never degrees).

    >>> f = gpd.GeoDataFrame(geometry=gpd.points_from_xy([-1.13], [52.63]), crs="EPSG:4326")
    >>> [round(v, 3) for v in reach_bbox(f, 500)]
    [-1.137, 52.626, -1.123, 52.634]
    """
    if frame.empty:
        raise InvalidInput("no geometry to frame the map on")
    crs = geo.measuring_crs(frame)
    grown = frame.geometry.to_crs(crs).buffer(metres).to_crs(frame.crs)
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in grown.total_bounds)
    return min_lon, min_lat, max_lon, max_lat
