"""The city map page and the ward pages, on the web zoo (two wards, West with two assets)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from assetmap.errors import ConfigError
from assetmap.web import create_app

MAX_PAGE_BYTES = 300 * 1024
TILES = {"url": "https://tiles.example.org/{z}/{x}/{y}.png", "attribution": "© Example tiles"}
URL = re.compile(r"https?://[^\s\"'<>)]+")


class Resources(HTMLParser):
    """Collects every ``<script src>`` and ``<link href>`` of a page, and the JSON settings block."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.data_block = False
        self.data = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"] or "")
        self.data_block = tag == "script" and values.get("id") == "page-data"

    def handle_data(self, data: str) -> None:
        if self.data_block:
            self.data += data

    def handle_endtag(self, tag: str) -> None:
        self.data_block = False


def parsed(html: str) -> Resources:
    parser = Resources()
    parser.feed(html)
    return parser


def page_data(html: str) -> dict:
    return json.loads(parsed(html).data)


def text(response) -> str:
    return response.get_data(as_text=True)


def figure(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert match, element_id
    return match.group(1)


# -- the city page ---------------------------------------------------------------------------------


def test_city_page_has_map_switch_legend_and_panel(client):
    response = client.get("/")
    assert response.status_code == 200
    html = text(response)
    assert re.search(r'<div class="map-frame" role="region" aria-label="Map of Leicester', html)
    assert 'class="folium-map"' in html
    assert '<label for="metric">Shade wards by</label>' in html
    options = re.findall(r'<option value="([a-z_0-9]+)"', html)
    assert options == ["gap_score", "assets_per_1000_50plus", "share_50plus_within_any", "need_index"]
    assert '<label for="search-q">Find a ward or postcode</label>' in html
    # The legend is text: one block per metric (only the chosen one visible), with its units.
    assert re.search(r'<div class="legend-scale" id="legend-gap_score">', html)
    assert re.search(r'<div class="legend-scale" id="legend-need_index" hidden>', html)
    assert "assets per 1,000 residents aged 50+" in html
    # Side panel: 400 + 400 residents aged 50+; two assets; only West's area has one within reach.
    assert figure(html, "fig-residents") == "800"
    assert figure(html, "fig-assets") == "2"
    assert figure(html, "fig-share") == "50%"
    assert '<h3 id="layers-heading">Map layers</h3>' in html


def test_most_under_served_ward_comes_first_in_the_panel(client):
    html = text(client.get("/"))
    panel = html[html.index("Most under-served wards") :]
    assert panel.index("/wards/W2") < panel.index("/wards/W1")


def test_city_page_is_small_and_needs_no_other_host(client):
    response = client.get("/")
    assert len(response.data) < MAX_PAGE_BYTES
    assert URL.findall(text(response)) == []


def test_only_the_configured_basemap_host_appears(app, tmp_path):
    tiled = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "TESTING": True, "BASEMAP_TILES": TILES})
    html = text(tiled.test_client().get("/"))
    assert URL.findall(html) == [TILES["url"]]
    assert "© Example tiles" in html or "\\u00a9 Example tiles" in html


@pytest.mark.parametrize(
    ("tiles", "message"),
    [
        ({"url": "https://tiles.example.org/tile.png", "attribution": "x"}, "expected"),
        ({"url": "ftp://tiles.example.org/{z}/{x}/{y}.png", "attribution": "x"}, "the url must start with"),
        ({"url": TILES["url"], "attribution": " "}, "an attribution is required"),
        ("https://tiles.example.org/{z}/{x}/{y}.png", "expected"),
    ],
)
def test_bad_basemap_settings_are_refused(tmp_path, tiles, message):
    with pytest.raises(ConfigError, match=f"BASEMAP_TILES: {message}"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "BASEMAP_TILES": tiles})


@pytest.mark.parametrize("path", ["/", "/wards/W1"])
def test_every_script_and_stylesheet_comes_from_the_app(client, path):
    urls = parsed(text(client.get(path))).urls
    assert "/static/js/assetmap.js" in urls and "/vendor/leaflet.js" in urls
    assert "/vendor/leaflet.markercluster.js" in urls and "/vendor/MarkerCluster.css" in urls
    for url in urls:
        if urlsplit(url).scheme == "data":  # inline (the empty favicon): nothing is fetched
            continue
        assert not urlsplit(url).netloc, url
        assert client.get(url).status_code == 200, url


def test_page_settings_drive_the_map(client, app):
    data = page_data(text(client.get("/")))
    assert data["page"] == "city" and data["map"].startswith("map_")
    assert data["minutes"] == app.config["WALK_MINUTES"]
    gap = data["metrics"][0]
    assert gap["key"] == "gap_score" and len(gap["breaks"]) == len(gap["colours"]) >= 1
    assert data["areaScale"]["breaks"] and data["symbols"][0]["glyph"]
    assert data["highlight"] == ["A2", "A1"]  # every area, most under-served first (only two)
    # The layers the page fetches are there, with the parameters it uses.
    assert client.get(data["api"]["wards"]).status_code == 200
    assert client.get(data["api"]["areas"]).status_code == 200
    assets = client.get(data["api"]["assets"], query_string={"status": data["statuses"], "per_page": 5000})
    assert assets.get_json()["total"] == 2
    assert client.get(data["search"], query_string={"q": "West"}).status_code == 200
    assert data["wardUrl"].replace("CODE", "W1") == "/wards/W1"


def test_walk_minutes_come_from_the_configuration(app):
    seven = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "TESTING": True, "WALK_MINUTES": 7})
    html = text(seven.test_client().get("/"))
    assert "Aged 50+ within 7 minutes&#39; walk" in html
    assert page_data(html)["minutes"] == 7


def test_class_breaks_on_the_page_match_the_wards(client):
    data = page_data(text(client.get("/")))
    wards = client.get(data["api"]["wards"]).get_json()["features"]
    for metric in data["metrics"]:
        values = [f["properties"][metric["key"]] for f in wards if f["properties"][metric["key"]] is not None]
        assert metric["breaks"][-1] == max(values)
        assert metric["min"] == min(values)


# -- programme reach --------------------------------------------------------------------------------


def test_programme_wards_are_outlined_and_listed(app, client, tmp_path):
    path = tmp_path / "connectors.csv"
    path.write_text("ward_code,ward_name,note\nW1,West,\nE05999999,Not here,\n", encoding="utf-8")
    app.config["PROGRAMME_WARDS"] = str(path)
    html = text(client.get("/"))
    assert page_data(html)["connector"] == ["W1"]  # a code that is not stored is left out
    listed = html[html.index("Community Connectors work in") :]
    assert re.search(r'<li><a href="/wards/W1">West</a></li>', listed)
    assert "Community Connectors already work in this ward" in text(client.get("/wards/W1"))


def test_a_broken_programme_file_does_not_take_the_map_down(app, client, tmp_path):
    path = tmp_path / "connectors.csv"
    path.write_text("ward_code\nBelgrave\n", encoding="utf-8")
    app.config["PROGRAMME_WARDS"] = str(path)
    response = client.get("/")
    assert response.status_code == 200
    assert page_data(text(response))["connector"] == []
    assert "No programme wards recorded." in text(response)


# -- the ward page ---------------------------------------------------------------------------------


def test_ward_page_shows_the_ward_against_the_city(client):
    response = client.get("/wards/W1")
    assert response.status_code == 200
    html = text(response)
    assert "<h1>West <span" in html
    assert 'aria-label="Map of West: small areas shaded by gap score' in html
    assert '<a class="button" href="/wards/W1/pack.pdf">' in html
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', html))
    assert rows["Residents aged 50+"] == "400"
    assert rows["Assets that count"] == "2"
    assert rows["Assets per 1,000 aged 50+"] == "5.0"
    city = re.search(r"Assets per 1,000 aged 50\+</th><td[^>]*>[^<]*</td>\s*<td[^>]*>([^<]+)<", html)
    assert city and city.group(1).strip() == "2.5"  # 2 assets for 800 residents aged 50+
    # The under-served area with its reason, and each asset with status and last verified date.
    assert "Area 1" in html and "A1" in html
    assets = html[html.index('id="assets-heading"') :]
    assert "Bench" in assets and "Café" in assets
    assert assets.count("status-verified") == 2


def test_ward_page_settings(client):
    data = page_data(text(client.get("/wards/W1")))
    assert data["page"] == "ward" and data["ward"] == "W1"
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in data["assetsBbox"].split(","))
    assert min_lon < -1.14 and max_lon > -1.13 and min_lat < 52.62 and max_lat > 52.63
    assets = client.get(data["api"]["assets"], query_string={"bbox": data["assetsBbox"]}).get_json()
    assert assets["total"] == 2


def test_unknown_ward_is_the_html_404_page(client):
    response = client.get("/wards/E05000000")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = text(response)
    assert "<h1>404</h1>" in html and "E05000000" in html


# -- escaping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/wards/W2", "/wards/W1"])
def test_no_script_tag_from_data_reaches_the_html(client, path):
    # The zoo's east ward is named 'East <script>alert(1)</script>'.
    html = text(client.get(path))
    assert "<script>alert" not in html
    assert "alert(1)</script>" not in html
    if path != "/wards/W1":
        assert "East &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_embedded_json_is_escaped(app, client, tmp_path):
    path = tmp_path / "connectors.csv"
    path.write_text("ward_code\nW2\n", encoding="utf-8")
    app.config["PROGRAMME_WARDS"] = str(path)
    html = text(client.get("/"))
    block = html[html.index('id="page-data">') : html.index("</script>", html.index('id="page-data">'))]
    assert "<" not in block.removeprefix('id="page-data">')


def test_a_link_can_open_the_map_on_another_measure(client):
    html = text(client.get("/?metric=need_index"))
    assert '<option value="need_index" selected>' in html
    assert '<option value="gap_score">' in html
    assert re.search(r'<div class="legend-scale" id="legend-need_index">', html)
    assert re.search(r'<div class="legend-scale" id="legend-gap_score" hidden>', html)


def test_an_unknown_measure_is_a_400_page(client):
    response = client.get("/?metric=<b>vibes</b>")
    assert response.status_code == 400 and response.mimetype == "text/html"
    html = text(response)
    assert "unknown metric &#39;&lt;b&gt;vibes&lt;/b&gt;&#39;; expected one of gap_score," in html


def test_city_page_of_an_empty_store(tmp_path):
    empty = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite", "TESTING": True})
    response = empty.test_client().get("/")
    assert response.status_code == 200
    html = text(response)
    assert figure(html, "fig-residents") == "0" and figure(html, "fig-share") == "–"
    assert page_data(html)["metrics"][0]["breaks"] == []
    assert "No values to show." in html


def test_basemap_from_the_environment(tmp_path):
    from assetmap.config import load_config

    env = {"ASSETMAP_BASEMAP_TILES": json.dumps(TILES)}
    assert load_config(environ=env, instance_path=tmp_path / "none.json")["BASEMAP_TILES"] == TILES
    assert load_config(environ={}, instance_path=tmp_path / "none.json")["BASEMAP_TILES"] is None
