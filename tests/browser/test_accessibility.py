"""axe-core (from node_modules) on the city, ward and gaps pages: no serious or critical violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from assetmap.config import PROJECT_ROOT
from tests.browser.conftest import open_map_page

pytestmark = pytest.mark.browser

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def described(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']}: {v['help']} ({v['helpUrl']})")
        lines.extend(f"    {node['target']}: {node['failureSummary']!r}" for node in v["nodes"])
    return "\n".join(lines)


def no_blocking_violations(page: Page) -> None:
    """Run axe-core on the page as it is; fail on any serious or critical violation."""
    page.add_script_tag(path=AXE)
    results = page.evaluate("() => axe.run()")
    assert results["testEngine"]["name"] == "axe-core"
    assert results["passes"], "axe checked nothing"
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    assert not blocking, "axe-core violations (all of them):\n" + described(results["violations"])


@pytest.mark.parametrize("path", ["/", "/wards/E05010460", "/gaps"])
def test_no_serious_accessibility_violations(page: Page, path: str):
    if path == "/gaps":
        page.goto(path)
    else:
        open_map_page(page, path)
    no_blocking_violations(page)
