"""The pages in Chromium on the real Leicester pack: maps drawn, controls working, nothing off loopback."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Watch, open_map_page

pytestmark = pytest.mark.browser

WARD = "E05010460"  # Beaumont Leys
N_WARDS = 21
WARD_FILLS = ".leaflet-fills-pane path.leaflet-interactive"


def settings(page: Page) -> dict:
    return json.loads(page.locator("#page-data").text_content() or "{}")


def fills(page: Page) -> list[str]:
    return page.locator(WARD_FILLS).evaluate_all("paths => paths.map(p => p.getAttribute('fill'))")


def reach_by_ward(rows: Locator) -> dict[str, str]:
    """Each ranked ward's "Aged 50+ within reach" cell, by ward name."""
    names = rows.locator("th a:not(.pack)").all_inner_texts()
    return dict(zip(names, rows.locator("td:nth-child(4)").all_inner_texts(), strict=True))


def test_city_map_layers_legend_and_metric_switch(page: Page, watch: Watch):
    open_map_page(page, "/")
    expect(page.locator(".leaflet-container")).to_be_visible()
    expect(page.locator("#map-status")).not_to_contain_text("could not be loaded")
    assert page.locator(WARD_FILLS).count() == N_WARDS
    assert page.locator(".ward-label").count() == N_WARDS

    # The layer control: wards, programme wards, small areas, top small areas, one per category,
    # and the streets walked on patch walks.
    symbols = settings(page)["symbols"]
    overlays = page.locator("#layers .leaflet-control-layers-overlays label").all_inner_texts()
    assert len(overlays) == 4 + len(symbols) + 1, overlays
    assert [t.strip() for t in overlays].count("Streets walked on patch walks (surveyed)") == 1
    for sym in symbols:
        entries = [text for text in overlays if re.search(rf"(^|\s){re.escape(sym['label'])} \(", text)]
        assert len(entries) == 1, (sym["label"], overlays)

    # The legend of the chosen measure is shown, with its unit; the others are hidden.
    select = page.locator("#metric")
    keys = select.locator("option").evaluate_all("options => options.map(o => o.value)")
    first, second = select.input_value(), next(k for k in keys if k != select.input_value())
    legend = page.locator(f"#legend-{first}")
    expect(legend).to_be_visible()
    expect(legend.locator(".unit")).not_to_be_empty()
    expect(page.locator(f"#legend-{second}")).to_be_hidden()
    before_fills, before_legend = fills(page), legend.inner_text()

    select.select_option(second)
    expect(page.locator(f"#legend-{second}")).to_be_visible()
    expect(legend).to_be_hidden()
    assert fills(page) != before_fills
    assert page.locator(f"#legend-{second}").inner_text() != before_legend
    assert f"metric={second}" in page.url

    assert watch.problems() == []
    assert watch.requests and not watch.foreign


def test_ward_page_map_areas_assets_and_pack_link(page: Page, watch: Watch):
    open_map_page(page, f"/wards/{WARD}")
    expect(page.locator("h1")).to_contain_text("Beaumont Leys")
    expect(page.locator(".leaflet-container")).to_be_visible()
    # The ward's own outline is the only heavy line; its small areas are the shaded polygons.
    assert page.locator('.leaflet-outlines-pane path[stroke-width="3.5"]').count() == 1
    status = page.locator("#map-status").inner_text()
    n_areas = int(re.search(r"(\d+) small areas", status).group(1))
    assert n_areas > 0
    assert page.locator(".leaflet-fills-pane path.leaflet-interactive").count() == n_areas
    assets = page.locator("section[aria-labelledby=assets-heading] tbody tr")
    n_assets = int(re.search(r"\((\d+)\)", page.locator("#assets-heading").inner_text()).group(1))
    assert n_assets > 0
    assert assets.count() == n_assets
    expect(page.get_by_role("link", name="Download the ward pack (PDF)")).to_have_attribute(
        "href", f"/wards/{WARD}/pack.pdf"
    )
    assert watch.problems() == []


def test_ward_pack_pdf_downloads(page: Page, watch: Watch):
    page.goto(f"/wards/{WARD}")
    link = page.get_by_role("link", name="Download the ward pack (PDF)")
    response = page.request.get(link.evaluate("a => a.href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF-")
    assert len(body) > 10 * 1024
    assert watch.problems() == []


def test_gaps_minutes_control_and_csv(page: Page, watch: Watch):
    page.goto("/gaps")
    ward_rows = page.locator("table.ranking").nth(0).locator("tbody tr")
    area_rows = page.locator("table.ranking").nth(1).locator("tbody tr")
    assert ward_rows.count() == N_WARDS
    assert area_rows.count() > 100
    before = reach_by_ward(ward_rows)

    page.get_by_label("Within reach: minutes").fill("3")
    page.get_by_role("button", name="Update ranking").click()
    page.wait_for_url(re.compile(r"/gaps\?.*\bminutes=3\b"))
    expect(page.locator(".summary")).to_contain_text("within reach = 3 minutes' walk")
    expect(page.get_by_label("Within reach: minutes")).to_have_value("3")
    after = reach_by_ward(ward_rows)
    assert after.keys() == before.keys()
    assert after != before

    csv_link = page.get_by_role("link", name="Download the ranked small areas (CSV)")
    expect(csv_link).to_have_attribute("href", re.compile(r"^/gaps\.csv\?.*\bminutes=3\b"))
    with page.expect_download() as download_info:
        csv_link.click()
    download = download_info.value
    assert download.failure() is None
    lines = download.path().read_text(encoding="utf-8").splitlines()
    assert download.suggested_filename == "underserved-areas.csv"
    assert "gap_score" in lines[0].split(",")
    assert len(lines) == 1 + area_rows.count()
    assert watch.problems() == []
