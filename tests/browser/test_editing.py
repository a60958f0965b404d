"""Editing a place in Chromium: a saved name shows on its page, a concurrent change gives a 409 that keeps
what was typed, and axe-core finds no serious or critical problem on the form.

These tests serve their own small store (the web zoo and a connector) instead of the Leicester pack.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.browser.live import load_zoo, serve
from tests.browser.test_accessibility import no_blocking_violations

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Served:
    base: str
    database_url: str
    bench: str
    cafe: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    path = tmp_path_factory.mktemp("editing") / "zoo.sqlite"
    store = load_zoo(path, {"ann": "connector"}, PASSWORD)
    ids = {a.name: str(a.id) for a in store.assets()}
    store.close()
    url = f"sqlite:///{path}"
    with serve(url) as base:
        yield Served(base, url, ids["Bench"], ids["Café"])


@pytest.fixture(scope="module")
def base_url(served: Served) -> str:
    """This module's app (overrides the Leicester one for the ``page`` and ``watch`` fixtures)."""
    return served.base


def log_in_and_edit(page: Page, asset_id: str) -> None:
    page.goto(f"/login?next=/assets/{asset_id}/edit")
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:text('Log in')")
    expect(page.locator("h1")).to_contain_text("Edit ")


def test_a_name_edited_in_the_form_shows_on_the_asset_page(page: Page, watch, served):
    page.goto(f"/assets/{served.bench}")
    expect(page.get_by_role("link", name="Edit this place")).to_have_count(0)  # the public may not
    log_in_and_edit(page, served.bench)
    no_blocking_violations(page)
    page.select_option("#category", "park")  # the kind follows the category
    expect(page.locator("#subcategory")).to_have_value("park")
    page.select_option("#category", "bench")
    expect(page.locator("#subcategory")).to_have_value("bench")
    page.fill("#name", "Bench <b>by the pond</b>")
    page.get_by_role("radio", name="Yes").first.check()  # step free: yes
    page.click("button[type=submit]:text('Save changes')")
    expect(page.locator("h1")).to_have_text("Bench <b>by the pond</b>")
    expect(page.locator(".notices")).to_contain_text("Saved")
    expect(page.locator(".asset-details")).to_contain_text("Step free: yes")
    expect(page.locator("table.history")).to_contain_text("edited: name, step free")
    expect(page.get_by_role("link", name="Edit this place")).to_have_count(1)
    assert watch.problems() == []


def test_a_concurrent_change_gives_a_409_page_keeping_the_typed_text(page: Page, watch, served):
    from assetmap.storage import open_store

    log_in_and_edit(page, served.cafe)
    page.fill("#name", "Café typed in the browser")
    page.fill("#opening_times", "Weekdays 9 to 5")
    store = open_store(served.database_url)  # someone else saves first
    try:
        cafe = store.get_asset(served.cafe)
        store.update_asset(
            served.cafe, {"name": "Café renamed meanwhile"}, expected_version=cafe.version, actor="olga"
        )
    finally:
        store.close()
    page.click("button[type=submit]:text('Save changes')")
    expect(page.get_by_role("alert")).to_contain_text("changed by someone else")
    expect(page.locator("#name")).to_have_value("Café typed in the browser")
    expect(page.locator("#opening_times")).to_have_value("Weekdays 9 to 5")
    expect(page.locator("#name-stored")).to_contain_text("Now stored: Café renamed meanwhile")
    no_blocking_violations(page)
    # the 409 answer itself is the only problem (Chromium also logs it to the console)
    expected = f"POST {served.base}/assets/{served.cafe}/edit: HTTP 409"
    assert expected in watch.problems()
    assert all("409" in line and f"/assets/{served.cafe}/edit" in line for line in watch.problems())
    page.click("button[type=submit]:text('Save changes')")  # on purpose: the typed values win
    expect(page.locator("h1")).to_have_text("Café typed in the browser")
