"""The pilot planner in Chromium on the real Leicester pack: the plan on the map, the what-if panel,
suggested sites, the PDF, infeasible rules and axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import TIMEOUT_MS, Watch, open_map_page
from tests.browser.test_accessibility import AXE, BLOCKING, described

pytestmark = pytest.mark.browser

K = 3
# Three wards, no separation: quick to solve, and alternative 1 swaps a ward of the best plan.
PLAN = f"/planner?level=ward&k={K}&separation_km=0"
# Ten pilots 20 km apart do not fit in Leicester; one pilot does.
INFEASIBLE = "/planner?k=10&separation_km=20"
PILOTS = ".leaflet-picks-pane [title^='Pilot ']"
SITES = ".leaflet-picks-pane [title^='Suggested site ']"
# Two new libraries that bring people within reach: Thurncourt in the east, Braunstone in the west.
NEW_PLACES = [(-1.07, 52.643), (-1.17, 52.615)]


def pilot_titles(page: Page, n: int) -> list[str]:
    markers = page.locator(PILOTS)
    expect(markers).to_have_count(n)
    return markers.evaluate_all("ms => ms.map(m => m.title)")


def table_titles(table: Locator) -> list[str]:
    """The marker titles a portfolio's table stands for: "Pilot 1: Beaumont Leys", ..."""
    rows = table.locator("tbody tr")
    numbers = rows.locator("td:first-child").all_inner_texts()
    names = rows.locator("th").evaluate_all("ths => ths.map(th => th.firstChild.textContent.trim())")
    return [f"Pilot {n}: {name}" for n, name in zip(numbers, names, strict=True)]


def test_plan_map_layers_legend_and_numbered_pilots(page: Page, watch: Watch):
    open_map_page(page, PLAN)
    expect(page.locator(".leaflet-container")).to_be_visible()
    expect(page.locator("#plan-status")).to_contain_text(f"Optimal: no other {K} of the 21 candidate wards")
    # The city's layers (in the order their data arrived), then the planner's own.
    overlays = page.locator("#layers .leaflet-control-layers-overlays label")
    expect(overlays).to_have_count(6)
    names = [text.strip() for text in overlays.all_inner_texts()]
    assert sorted(names[:3]) == [
        "Community Connectors' wards (dashed outline)",
        "Small areas: gap score",
        "Ward boundaries",
    ]
    assert names[3:] == ["The plan's pilots (numbered)", "Places to try (what-if)", "Suggested sites"]
    legend = page.locator(".legend")
    expect(legend.locator(".legend-scale")).to_be_visible()
    expect(legend.locator(".legend-keys li")).to_have_count(4)
    assert page.locator(".leaflet-fills-pane path.leaflet-interactive").count() > 100

    best = page.locator("section[aria-labelledby=best-heading] table")
    titles = pilot_titles(page, K)
    assert titles == table_titles(best)
    # The numbers are drawn above the ward names, not hidden under them.
    assert page.locator(PILOTS).first.evaluate(
        "m => Number(getComputedStyle(m.parentNode).zIndex) > 650 && m.textContent.trim() === '1'"
    )
    assert watch.problems() == []


def test_portfolio_select_redraws_the_pilots(page: Page, watch: Watch):
    open_map_page(page, PLAN)
    select = page.get_by_label("Show on the map")
    options = select.locator("option").all_inner_texts()
    assert options[0] == "Best plan" and options[1] == "Alternative 1"
    best = pilot_titles(page, K)

    select.select_option(label="Alternative 1")  # redraws at once, in the change event
    alternative = page.locator("section[aria-labelledby=alternatives-heading] table").first
    shown = pilot_titles(page, K)
    assert shown == table_titles(alternative)
    assert set(shown) != set(best)

    select.select_option(label="Best plan")
    assert pilot_titles(page, K) == best
    assert watch.problems() == []


def test_placed_points_show_what_changes(page: Page, watch: Watch):
    open_map_page(page, PLAN)
    page.wait_for_function("() => document.getAnimations().length === 0")  # the opening zoom is over
    page.locator("#whatif-form").get_by_label("Kind of place").select_option(label="Library")
    place = page.get_by_role("button", name="Place on the map")
    place.click()
    expect(place).to_have_attribute("aria-pressed", "true")
    expect(place).to_have_text("Place on the map")
    frame = page.locator(".map-frame .leaflet-container")
    for lon, lat in NEW_PLACES:
        point = page.evaluate(
            "([lon, lat]) => window.assetmap.map.latLngToContainerPoint([lat, lon])", [lon, lat]
        )
        frame.click(position={"x": point["x"], "y": point["y"]})
    place.click()
    expect(place).to_have_attribute("aria-pressed", "false")
    places = page.locator("#whatif-points li")
    expect(places).to_have_count(2)
    for (lon, lat), text in zip(NEW_PLACES, places.all_inner_texts(), strict=True):
        at = re.match(r"\d\. Library \((\S+), (\S+)\) Remove$", text)
        assert at, text
        assert float(at[1]) == pytest.approx(lat, abs=0.001) and float(at[2]) == pytest.approx(lon, abs=0.001)
    expect(page.locator(".leaflet-popup")).to_have_count(0)  # clicks placed, they opened no popup

    page.get_by_role("button", name="Show what changes").click()
    result = page.locator("#whatif-result")
    expect(result).to_contain_text(
        "With 2 new places (Library), residents aged 50+ in Leicester newly within 10 minutes' walk:",
        timeout=TIMEOUT_MS,
    )
    expect(result).to_contain_text("City gap score")
    table = result.get_by_role("table", name="Wards that change")
    expect(table.locator("tbody tr").first).to_be_visible()
    changed = table.locator("tbody th").all_inner_texts()
    assert "Thurncourt" in changed and "Braunstone Park & Rowley Fields" in changed
    assert watch.problems() == []


def test_suggested_sites_can_be_tried_in_the_what_if(page: Page, watch: Watch):
    open_map_page(page, PLAN)
    sites = page.locator("#sites-form")
    sites.get_by_label("Kind of place").select_option(label="Library")
    sites.get_by_label("How many (1 to 10)").fill("2")
    sites.get_by_role("button", name="Suggest sites").click()
    result = page.locator("#sites-result")
    expect(result).to_contain_text("these 2 sites would put a Library within 10 minutes' walk")
    names = result.locator("ol.sites-list li").all_inner_texts()
    assert len(names) == 2
    expect(page.locator(SITES)).to_have_count(2)

    result.get_by_role("button", name="Try these in the what-if").click()
    places = page.locator("#whatif-points li")
    expect(places).to_have_count(2)
    for i, (place, site) in enumerate(zip(places.all_inner_texts(), names, strict=True), start=1):
        assert place.startswith(f"{i}. Library at {site.split(' (')[0]} (")
    expect(page.get_by_role("button", name="Show what changes")).to_be_focused()
    assert watch.problems() == []


def test_plan_pdf_link_downloads_a_pdf(page: Page, watch: Watch):
    page.goto(PLAN)
    link = page.get_by_role("link", name="Download the plan (PDF)")
    expect(link).to_have_attribute("href", "/planner.pdf?" + PLAN.split("?")[1])
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.failure() is None
    assert re.fullmatch(r"pilot-plan-\d{4}-\d\d-\d\d\.pdf", download.suggested_filename)
    body = download.path().read_bytes()
    assert body.startswith(b"%PDF-") and len(body) > 10 * 1024
    assert watch.problems() == []


def test_infeasible_rules_offer_relaxations_that_work(page: Page, watch: Watch):
    response = page.goto(INFEASIBLE)
    assert response is not None and response.status == 400
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("No plan for these rules")
    expect(alert).to_contain_text("k = 10 is too many")
    links = alert.get_by_role("link")
    expect(links).to_have_text(
        ["Choose 1 pilot instead", re.compile(r"^Keep pilots at least [\d.]+ km apart")]
    )
    expect(page.get_by_label("Show on the map")).to_have_count(0)

    with page.expect_response(lambda r: r.request.resource_type == "document") as response_info:
        links.first.click()
    assert response_info.value.status == 200
    expect(page.locator("#plan-status")).to_contain_text("Optimal")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator(PILOTS)).to_have_count(1)
    # The only failure is the infeasible page's own 400 (and Chromium's console line about it).
    assert [p for p in watch.problems() if INFEASIBLE not in p] == []


@pytest.mark.parametrize("path", [PLAN, INFEASIBLE])
def test_no_serious_accessibility_violations(page: Page, path: str):
    open_map_page(page, path)
    page.get_by_role("button", name="Suggest sites").click()  # the results are checked too
    expect(page.locator("#sites-result li")).to_have_count(3)
    page.add_script_tag(path=AXE)
    results = page.evaluate("() => axe.run()")
    assert results["passes"], "axe checked nothing"
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    assert not blocking, "axe-core violations (all of them):\n" + described(results["violations"])
