"""The ward pack PDF and the under-served areas page and CSV (assetmap.web.reports), on the web zoo.

The zoo (tests/conftest.py): wards W1 'West' and W2 'East <script>alert(1)</script>', one small
area in each (A1, A2), a verified bench and café in W1 only, so A2 and W2 have the larger gap.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from assetmap.web import reports

EAST = "East <script>alert(1)</script>"


def _pdf(response) -> PdfReader:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(response.data))


def _text(reader: PdfReader) -> str:
    """The PDF's text with every run of whitespace (table cells wrap lines) as one space."""
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


# -- ward pack -------------------------------------------------------------------------------------


def test_pack_is_an_a4_pdf_with_the_ward_its_map_and_figures(client):
    response = client.get("/wards/W1/pack.pdf")
    reader = _pdf(response)
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert len(reader.pages[0].images) == 1  # the map
    text = _text(reader)
    assert "West" in text
    assert "Ranked 2 of 2" in text  # East has the larger gap
    assert "Residents aged 50+" in text and "Assets that count" in text
    assert "Bench" in text and "Café" in text  # the asset list
    assert "Open Government Licence v3.0" in text and "Indices of Deprivation 2019" in text


def test_pack_download_name_is_safe(client):
    disposition = client.get("/wards/W2/pack.pdf").headers["Content-Disposition"]
    name = r"ward-pack-east-script-alert-1-script-W2-\d{4}-\d\d-\d\d\.pdf"
    assert re.fullmatch(f"attachment; filename={name}", disposition)


def test_pack_shows_a_script_tag_name_as_text(client, monkeypatch):
    text = _text(_pdf(client.get("/wards/W2/pack.pdf")))
    assert EAST in text  # literally, as the ward's name

    rendered = []
    monkeypatch.setattr(reports, "html_to_pdf", lambda html: rendered.append(html) or b"%PDF-stub")
    client.get("/wards/W2/pack.pdf")
    assert "East &lt;script&gt;alert(1)&lt;/script&gt;" in rendered[0]
    assert "<script" not in rendered[0]


def test_unknown_ward_pack_is_an_html_404(client):
    response = client.get("/wards/NOPE/pack.pdf")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "no ward with code &#39;NOPE&#39;" in response.get_data(as_text=True)


def test_pack_filename():
    name = reports.pack_filename("W1", "../../etc/passwd", "2025-01-01")
    assert name == "ward-pack-etc-passwd-W1-2025-01-01.pdf"
    assert reports.pack_filename("W1", "<>", "x") == "ward-pack-W1.pdf"


# -- under-served areas ----------------------------------------------------------------------------


class _Page(HTMLParser):
    """Collects the form controls, labels, captions, header scopes and small-area rows of /gaps."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labels: set[str] = set()
        self.captions = 0
        self.headers: list[str | None] = []
        self.row_headers: list[str] = []
        self._in_row_header = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in {"input", "select", "textarea"} and a.get("type") != "hidden":
            self.controls.append(a.get("id") or "")
        elif tag == "label":
            self.labels.add(a.get("for") or "")
        elif tag == "caption":
            self.captions += 1
        elif tag == "th":
            self.headers.append(a.get("scope"))
            self._in_row_header = a.get("scope") == "row"

    def handle_endtag(self, tag):
        if tag == "th":
            self._in_row_header = False

    def handle_data(self, data):
        if self._in_row_header and data.strip():
            self.row_headers.append(data.strip())


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _area_codes(html: str) -> list[str]:
    return re.findall(r'<span class="code">([^<]+)</span>', html)


def test_gaps_page_ranks_areas_and_wards(client):
    response = client.get("/gaps")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _area_codes(html) == ["A2", "A1"]  # A2 has no asset within reach
    assert html.index("East &lt;script&gt;") < html.index(">West<")
    assert "walk to the nearest asset" in html  # the reasons
    assert "<script>alert" not in html


def test_gaps_controls_are_labelled_and_tables_accessible(client):
    page = _parse(client.get("/gaps").get_data(as_text=True))
    assert "minutes" in page.controls and "w_idaopi" in page.controls and "category-bench" in page.controls
    assert "category-bus_stop" not in page.controls  # context layers are not counted
    assert all(c and c in page.labels for c in page.controls)
    assert page.captions == 2
    assert all(scope in {"col", "row", "colgroup"} for scope in page.headers)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("minutes=0", "Walking minutes must be a number from 1 to 60; got &#39;0&#39;."),
        ("minutes=61", "Walking minutes must be a number from 1 to 60"),
        ("minutes=abc", "Walking minutes must be a number from 1 to 60; got &#39;abc&#39;."),
        ("minutes=nan", "Walking minutes must be a number from 1 to 60"),
        ("minutes=inf", "Walking minutes must be a number from 1 to 60"),
        ("w_imd=-1", "The weight for overall deprivation (IMD) must be a number from 0 to 100"),
        ("w_loneliness=lots", "The weight for modelled loneliness must be a number from 0 to 100"),
        (
            "w_idaopi=0&w_loneliness=0&w_imd=0&w_age75_share=0",
            "At least one need weight must be more than 0.",
        ),
        ("category=pizza", "Unknown category &#39;pizza&#39;. Choose from: Bench, Community centre"),
        ("category=bus_stop", "Unknown category &#39;bus_stop&#39;"),
    ],
)
def test_bad_parameters_re_render_the_page_with_400(client, query, message):
    response = client.get(f"/gaps?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'role="alert"' in html and 'id="minutes"' in html  # the form is still there
    assert "<table" not in html


def test_every_problem_is_reported_at_once(client):
    html = client.get("/gaps?minutes=99&w_imd=x&category=<b>").get_data(as_text=True)
    assert "Walking minutes" in html and "overall deprivation (IMD)" in html
    assert "Unknown category &#39;&lt;b&gt;&#39;" in html


def test_the_form_keeps_the_submitted_values(client):
    html = client.get("/gaps?category=cafe&minutes=7.5&w_imd=2").get_data(as_text=True)
    assert 'value="7.5"' in html and 'value="2"' in html
    assert re.search(r'value="cafe" id="category-cafe"[^>]*checked', html)
    assert not re.search(r'value="bench" id="category-bench"[^>]*checked', html)
    assert "category=cafe&amp;minutes=7.5&amp;w_imd=2" in html  # the CSV link keeps the query


def test_gaps_csv_matches_the_page(client):
    for query in ("", "?category=bench&minutes=5&w_idaopi=1"):
        response = client.get(f"/gaps.csv{query}")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert [r["code"] for r in rows] == _area_codes(client.get(f"/gaps{query}").get_data(as_text=True))
        explained = {"gap_rank", "why", "need_index", "c_idaopi", "c_distance", "c_catchment", "ward_name"}
        assert explained <= set(rows[0])
        assert rows[0]["ward_name"] == EAST  # data, not markup: as stored


def test_categories_change_what_counts(client):
    def within(query: str) -> dict[str, str]:
        rows = csv.DictReader(io.StringIO(client.get(f"/gaps.csv{query}").get_data(as_text=True)))
        return {r["code"]: r["n_within_any"] for r in rows}

    assert within("") == {"A1": "2", "A2": "0"}
    assert within("?category=bench") == {"A1": "1", "A2": "0"}
    assert within("?category=library") == {"A1": "0", "A2": "0"}


def test_no_asset_at_all_is_an_empty_cell_in_the_csv(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/gaps.csv?category=park").get_data(as_text=True))))
    assert [r["walk_min_any"] for r in rows] == ["", ""]


def test_gaps_csv_rejects_bad_parameters(client):
    response = client.get("/gaps.csv?minutes=0")
    assert response.status_code == 400
    assert "Walking minutes must be a number from 1 to 60" in response.get_data(as_text=True)


def test_nav_links_to_the_gaps_page(client):
    assert 'href="/gaps">Under-served areas</a>' in client.get("/gaps").get_data(as_text=True)
