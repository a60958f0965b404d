"""Regenerate the README's screenshots in ``docs/screenshots/`` (run by hand, not by the tests).

    .venv/bin/python -m tests.browser.screenshots

Loads the Leicester pack into a temporary SQLite file, serves the app on 127.0.0.1 and takes
1000×700 screenshots in Debian's Chromium of the city map, a ward page, the gaps ranking and the
pilot planner (its default plan), plus page 1 of that ward's pack rendered by ``pdftoppm``
(poppler-utils) at 50 dpi. Each PNG is reduced to a 256-colour palette so it stays small in the
repository.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from assetmap.config import PROJECT_ROOT
from tests.browser.conftest import open_map_page
from tests.browser.live import chromium, load_leicester, serve

OUT = PROJECT_ROOT / "docs" / "screenshots"
WARD = "E05010460"  # Beaumont Leys, the most under-served ward by gap score
VIEWPORT = {"width": 1000, "height": 700}


def compress(path: Path) -> None:
    """Rewrite a PNG with a 256-colour palette, optimised."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "leicester.sqlite"
        load_leicester(database).close()
        with serve(f"sqlite:///{database}") as base_url, chromium() as browser:
            page = browser.new_page(base_url=base_url, viewport=VIEWPORT)
            shots = []
            for name, path, top in (
                ("city", "/", ".map-layout"),
                ("ward", f"/wards/{WARD}", ".crumbs"),
                ("gaps", "/gaps", ".summary"),
                ("planner", "/planner", "#plan-status"),
            ):
                if name == "gaps":
                    page.goto(path)
                else:
                    open_map_page(page, path)
                    # The map's opening zoom is animated: shoot once the ward names have moved into place.
                    page.wait_for_function("() => document.getAnimations().length === 0")
                page.locator(top).evaluate(
                    "e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 8)"
                )
                shots.append(out / f"{name}.png")
                page.screenshot(path=shots[-1], scale="css", type="png")
            pdf = Path(tmp) / "pack.pdf"
            pdf.write_bytes(page.request.get(f"/wards/{WARD}/pack.pdf").body())
            subprocess.run(
                ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", pdf, out / "ward-pack"],
                check=True,
            )
            shots.append(out / "ward-pack.png")
    for shot in shots:
        compress(shot)
    return shots


if __name__ == "__main__":
    for shot in main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(f"{shot.relative_to(PROJECT_ROOT)}: {shot.stat().st_size // 1024} KB")
