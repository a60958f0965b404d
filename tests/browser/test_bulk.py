"""Bulk upload in Chromium: an officer uploads a CSV through the form, checks the preview, commits.

This module serves its own small store (the web zoo and an officer) instead of the Leicester pack,
with its pending uploads in a temporary folder.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.live import load_zoo, serve
from tests.browser.test_accessibility import no_blocking_violations

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
MAX_REQUEST, MAX_BULK = 2**20, 2**19  # 1 MB a request, 0.5 MB a bulk file
SCRIPT = "<script>alert(1)</script>"
CSV = (
    "name,category,lat,lon,source_id\n"
    "Chat bench,bench,52.6251,-1.1352,b1\n"
    f'"{SCRIPT}",cafe,52.6262,-1.1381,c1\n'
    "East hall,community_centre,52.6241,-1.1253,h1\n"
).encode()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's app (overrides the Leicester one for the ``page`` and ``watch`` fixtures)."""
    folder = tmp_path_factory.mktemp("bulk")
    load_zoo(folder / "zoo.sqlite", {"olga": "officer"}, PASSWORD).close()
    url = f"sqlite:///{folder / 'zoo.sqlite'}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ASSETMAP_BULK_DIR", str(folder / "pending"))
        env.setenv("ASSETMAP_MAX_REQUEST_BYTES", str(MAX_REQUEST))
        env.setenv("ASSETMAP_MAX_BULK_BYTES", str(MAX_BULK))
        with serve(url) as base:
            yield base


def log_in(page: Page) -> None:
    page.goto("/login?next=/bulk")
    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:text('Log in')")
    expect(page.locator("h1")).to_have_text("Bulk upload")


def check(page: Page, name: str, content: bytes) -> None:
    page.set_input_files("#file", files=[{"name": name, "mimeType": "text/csv", "buffer": content}])
    page.fill("#dataset", "council-list")
    page.fill("#licence", "Open Government Licence v3.0")
    page.click("button:text('Check the file')")


def test_an_officer_uploads_a_csv_sees_the_preview_and_commits(page: Page, watch):
    log_in(page)
    no_blocking_violations(page)

    check(page, "places.csv", CSV)
    expect(page.locator("h1")).to_have_text("Check the upload")
    expect(page.locator(".count-new")).to_have_text("3")
    expect(page.locator(".count-error")).to_have_text("0")
    rows = page.locator("table.bulk-rows tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text(SCRIPT)  # shown as text, not run
    expect(rows.nth(2)).to_contain_text("East")
    no_blocking_violations(page)

    page.click("button:text('Commit 3 rows')")
    expect(page.locator("h1")).to_have_text("Upload saved")
    expect(page.locator(".count-added")).to_have_text("3")
    expect(page.locator("table.bulk-assets tbody tr")).to_have_count(3)
    page.click(f"table.bulk-assets a:text('{SCRIPT}')")
    expect(page.locator("h1")).to_have_text(SCRIPT)
    assert watch.problems() == []


def test_oversized_files_get_a_clear_page(page: Page, watch):
    log_in(page)
    check(page, "big.csv", CSV + b"x" * MAX_BULK)  # over the bulk limit: the form again
    expect(page.locator(".upload-error")).to_contain_text(
        "big.csv: the file is larger than 0.5 MB; split it."
    )
    expect(page.locator("#dataset")).to_have_value("council-list")
    check(page, "huge.csv", CSV + b"x" * 3 * MAX_REQUEST)  # over the request limit: the 413 page
    expect(page.locator("h1")).to_have_text("413")
    expect(page.locator("main")).to_contain_text("The request is too large: at most 1 MB is accepted.")
    assert [line.split(": ")[-1] for line in watch.failed] == ["HTTP 413", "HTTP 413"]
    # The browser logs each 413 answer as a failed load; nothing else may go wrong.
    assert len(watch.console_errors) == 2
    assert all("status of 413" in line for line in watch.console_errors)
    assert watch.dialogs == [] and watch.foreign == []
