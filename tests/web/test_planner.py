"""The pilot planner page, its CSV and PDF, and the planner API (assetmap.web.planner), on the web zoo.

The zoo (tests/conftest.py): wards W1 'West' and W2 'East <script>alert(1)</script>', one small
area in each (A1, A2, population-weighted points about 680 m apart, 400 residents aged 50+ each),
a verified bench and café in W1 only, so A2 and W2 have the larger gap. The configured programme
wards are Leicester's, none of which is in the zoo.
"""

from __future__ import annotations

import csv
import io

import pytest
from pypdf import PdfReader

EAST = "East <script>alert(1)</script>"
A2_POINT = {"lon": -1.125, "lat": 52.625}


def _error(response, status: int = 400) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == status
    return body["message"]


# -- /api/planner ----------------------------------------------------------------------------------


def test_a_ward_plan_picks_the_most_under_served_ward_and_proves_it(client):
    body = client.get("/api/planner?level=ward&k=1&separation_km=0").get_json()
    best = body["portfolios"][0]
    assert best["optimal"] and best["status"] == "optimal"
    assert [p["code"] for p in best["picks"]] == ["W2"]
    assert best["picks"][0]["name"] == EAST
    assert best["picks"][0]["areas"] == ["A2"] and best["residents_50plus"] == 400
    # The only other portfolio is the other ward, reaching less.
    assert [p["code"] for f in body["portfolios"][1:] for p in f["picks"]] == ["W1"]
    assert body["portfolios"][1]["objective"] < best["objective"]
    assert body["parameters"] | {"k": 1} == body["parameters"] and body["n_candidates"] == 2


def test_both_areas_fit_when_they_may_be_close(client):
    body = client.get("/api/planner?k=2&separation_km=0.5").get_json()
    assert sorted(p["code"] for p in body["portfolios"][0]["picks"]) == ["A1", "A2"]
    assert all(p["nearest_pilot_km"] == pytest.approx(0.68, abs=0.01) for p in body["portfolios"][0]["picks"])


def test_infeasible_rules_say_what_would_work(client):
    response = client.get("/api/planner?k=2&separation_km=1")
    message = _error(response)
    body = response.get_json()
    assert body["max_k"] == 1
    assert body["max_separation_m"] == pytest.approx(680, abs=10)
    assert "at most 1 pilot" in message and "lower k to 1" in message


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("k=0", "k"),
        ("k=11", "k"),
        ("k=two", "k"),
        ("level=city", "level"),
        ("separation_km=-1", "separation_km"),
        ("separation_km=nan", "separation_km"),
        ("separation_km=21", "separation_km"),
        ("no_adjacent=maybe", "no_adjacent"),
        ("programme=all", "programme"),
        ("k=1&k=2", "k"),
        ("colour=red", "colour"),
    ],
)
def test_bad_plan_parameters_are_400_naming_them(client, query, name):
    assert name in _error(client.get(f"/api/planner?{query}"))


# -- /planner, CSV and PDF -------------------------------------------------------------------------


def test_planner_page_shows_the_plan_escaped(client):
    response = client.get("/planner?level=ward&k=1&separation_km=0")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Optimal:" in html and "Best plan" in html and "Alternative 1" in html
    assert "East &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert 'href="/planner.csv?level=ward&amp;k=1&amp;separation_km=0"' in html


def test_planner_page_with_infeasible_rules_links_to_ones_that_work(client):
    response = client.get("/planner?k=2&separation_km=1")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'role="alert"' in html and "No plan for these rules" in html
    assert "/planner?level=area&amp;k=1&amp;separation_km=1" in html
    assert "/planner?level=area&amp;k=2&amp;separation_km=0.6" in html
    assert (
        client.get("/planner?level=area&k=1&separation_km=1&no_adjacent=&programme=exclude").status_code
        == 200
    )
    assert (
        client.get("/planner?level=area&k=2&separation_km=0.6&no_adjacent=&programme=exclude").status_code
        == 200
    )


def test_planner_page_with_a_bad_value_says_so(client):
    response = client.get("/planner?k=<b>99</b>")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "k must be a whole number from 1 to 10" in html
    assert "<b>99</b>" not in html


def test_plan_csv_has_a_row_per_pilot_per_portfolio(client):
    response = client.get("/planner.csv?level=ward&k=1&separation_km=0")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["portfolio"], r["code"], r["role"]) for r in rows] == [("1", "W2", "new"), ("2", "W1", "new")]
    assert rows[0]["name"] == EAST and rows[0]["status"] == "optimal" and rows[0]["why"]


def test_plan_pdf_is_a_pdf_with_the_plan(client):
    response = client.get("/planner.pdf?level=ward&k=1&separation_km=0")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages).split())
    assert "Community Connector pilots" in text and "Optimal" in text
    assert EAST.replace(" ", "") in text.replace(" ", "")  # shown as text (table cells wrap), not run


def test_plan_exports_refuse_bad_parameters(client):
    assert client.get("/planner.csv?k=0").status_code == 400
    assert client.get("/planner.pdf?level=city").status_code == 400


# -- /api/whatif -----------------------------------------------------------------------------------


def test_a_new_cafe_in_the_east_brings_its_area_within_reach(client):
    response = client.post("/api/whatif", json={"points": [A2_POINT | {"category": "cafe"}]})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["city"]["new_50plus_cafe"] == 400 and body["city"]["new_50plus_any"] == 400
    # W2 gains; W1 gains no one, but its gap score moves as gap scores are ranks among the areas.
    assert [(w["code"], w["new_50plus_any"]) for w in body["wards"]] == [("W2", 400), ("W1", 0)]
    assert body["wards"][0]["name"] == EAST and body["wards"][0]["gap_change"] < 0
    assert body["points"][0]["ward_code"] == "W2"
    assert body["city"]["share_within_any_after"] > body["city"]["share_within_any_before"]


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (None, "expected a JSON body"),
        ({"points": "A2"}, "expected a JSON body"),
        ({"points": [], "colour": 1}, "unknown member"),
        ({"points": [{"lon": -1.1, "lat": 52.6}]}, "points[0]"),
        ({"points": [{"lon": 2.35, "lat": 48.85, "category": "cafe"}]}, "UK"),
        ({"points": [{"lon": 52.62, "lat": -1.12, "category": "cafe"}]}, "swapped"),
        ({"points": [{"lon": "x", "lat": 52.6, "category": "cafe"}]}, "points[0]"),
        ({"points": [A2_POINT | {"category": "pub"}]}, "pub"),
        ({"points": []}, "point"),
        ({"points": [A2_POINT | {"category": "cafe"}] * 51}, "50"),
    ],
)
def test_bad_what_if_requests_are_400(client, payload, words):
    response = client.post("/api/whatif", json=payload) if payload is not None else client.post("/api/whatif")
    assert words in _error(response)


def test_an_oversized_what_if_body_is_refused_unread(client):
    body = b'{"points": [' + b" " * 70_000 + b"]}"
    message = _error(client.post("/api/whatif", data=body, content_type="application/json"))
    assert "larger than" in message


def test_what_if_is_post_only(client):
    assert _error(client.get("/api/whatif"), 405)


# -- /api/sites ------------------------------------------------------------------------------------


def test_the_best_cafe_site_among_area_centres_is_in_the_east(client):
    body = client.get("/api/sites?category=cafe&k=1&candidates=areas").get_json()
    assert body["optimal"] and body["residents_without"] == 400
    assert [(s["kind"], s["ref"]) for s in body["sites"]] == [("area", "A2")]
    assert body["residents_50plus"] == 400


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("", "category"),
        ("category=pub", "category"),
        ("category=cafe&k=0", "k"),
        ("category=cafe&candidates=shops", "candidates"),
    ],
)
def test_bad_site_requests_are_400(client, query, name):
    assert name in _error(client.get(f"/api/sites?{query}"))


def test_the_documented_query_parameters_are_the_ones_taken():
    from assetmap.web.openapi import document
    from assetmap.web.planner import PLAN_PARAMETERS, SITE_PARAMETERS

    doc = document()

    def names(path: str) -> set[str]:
        refs = doc["paths"][path]["get"]["parameters"]
        return {doc["components"]["parameters"][r["$ref"].rsplit("/", 1)[1]]["name"] for r in refs}

    assert names("/api/planner") == set(PLAN_PARAMETERS)
    assert names("/api/sites") == set(SITE_PARAMETERS)
